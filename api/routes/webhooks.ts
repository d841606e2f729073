import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Counter } from 'prom-client';
import { Type, type TSchema } from 'typebox';
import { durationSetting, setting, type Env } from '../../lib/config.js';
import type { AlertSourceKind, NormalizedAlert } from '../../lib/alerts/alert.js';
import { deliverAlert } from '../../lib/alerts/deliver.js';
import { SOURCE_NAME_PATTERN } from '../../lib/alerts/sources.js';
import { taskQueueFor } from '../../lib/pools.js';
import type { ApiContext } from '../context.js';
import { BadRequest, Unauthenticated } from '../errors.js';
import { errorResponses } from '../schemas.js';
import { callTemporal } from '../temporal-calls.js';
import { AlertmanagerPayload, normalizeAlertmanager } from '../webhooks/alertmanager.js';
import { GenericPayload, normalizeGeneric } from '../webhooks/generic.js';
import { GrafanaPayload, normalizeGrafana } from '../webhooks/grafana.js';
import { normalizePagerDuty, PagerDutyPayload } from '../webhooks/pagerduty.js';
import { createSourceCache } from '../webhooks/source-cache.js';
import {
  checkSource,
  firstUse,
  pagerDutyEventClaim,
  releaseUse,
  verifyBearer,
  verifyGeneric,
  verifyPagerDuty,
  type WebhookSource,
} from '../webhooks/verify.js';

const SourceQuery = Type.Object(
  {
    source: Type.Optional(
      Type.String({
        pattern: SOURCE_NAME_PATTERN,
        description: 'Configured source name (webhook_sources); default: the route kind.',
      }),
    ),
  },
  { additionalProperties: false },
);

const Accepted = Type.Object({
  accepted: Type.Integer({ description: 'Alerts durably handed to their remediation workflow.' }),
  workflows: Type.Array(
    Type.Object({
      workflowId: Type.String(),
      fingerprint: Type.String(),
      status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
    }),
  ),
});

interface Receiver {
  kind: AlertSourceKind;
  summary: string;
  body: TSchema;
  /** Refuses the caller, or lets it through; what it claimed against replay, if anything, is returned. */
  verify(source: WebhookSource, request: FastifyRequest, raw: Buffer): Promise<string | void> | void;
  normalize(body: never, source: string): NormalizedAlert[];
}

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

const webhooksRoutes: FastifyPluginAsyncTypebox<{ ctx: ApiContext; env: Env }> = async (
  app,
  { ctx, env },
) => {
  const sourcesFile = setting('WEBHOOK_SOURCES_FILE', env);
  const sourceOf = await createSourceCache({
    db: ctx.db,
    ttlMs: durationSetting('WEBHOOK_SOURCES_CACHE', env),
    ...(sourcesFile ? { file: { path: sourcesFile, env, log: app.log } } : {}),
  });
  const maxAgeMs = durationSetting('WEBHOOK_MAX_AGE', env);
  const rejections = new Counter({
    name: 'dharma_webhook_rejections_total',
    help: 'Refused alert webhooks (401) by source and reason (bad_key, bad_signature, stale, replayed, ...).',
    labelNames: ['source', 'reason'],
    registers: [ctx.metrics.registry],
  });
  const alerts = new Counter({
    name: 'dharma_webhook_alerts_total',
    help: 'Alerts accepted from webhooks by source and status.',
    labelNames: ['source', 'status'],
    registers: [ctx.metrics.registry],
  });

  // Signatures cover the exact bytes sent: keep them next to the parsed body (this plugin's routes only).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, parsed) => {
    const raw = body as Buffer;
    rawBodies.set(request, raw);
    try {
      parsed(null, JSON.parse(raw.toString('utf8')));
    } catch (error) {
      parsed(new BadRequest(`body is not valid JSON: ${(error as Error).message}`), undefined);
    }
  });

  const receivers: Receiver[] = [
    {
      kind: 'alertmanager',
      summary: 'Receive an Alertmanager webhook (payload version 4, grouped alerts)',
      body: AlertmanagerPayload,
      verify: (source, request) => verifyBearer(source, request.headers.authorization),
      normalize: normalizeAlertmanager,
    },
    {
      kind: 'grafana',
      summary: 'Receive a Grafana unified alerting contact-point webhook',
      body: GrafanaPayload,
      verify: (source, request) => verifyBearer(source, request.headers.authorization),
      normalize: normalizeGrafana,
    },
    {
      kind: 'pagerduty',
      summary: 'Receive a PagerDuty v3 webhook (X-PagerDuty-Signature verified)',
      body: PagerDutyPayload,
      verify: async (source, request, raw) => {
        verifyPagerDuty(source, header(request, 'x-pagerduty-signature'), raw);
        const claim = pagerDutyEventClaim(source.source, request.body, Date.now());
        if (!claim) return undefined;
        if (!(await firstUse(ctx.db, claim.key, claim.expiresAt))) {
          throw new Unauthenticated('replayed', 'this PagerDuty event was already received');
        }
        return claim.key;
      },
      normalize: normalizePagerDuty,
    },
    {
      kind: 'generic',
      summary: 'Receive a generic JSON alert (HMAC over timestamp and body, replays refused)',
      body: GenericPayload,
      verify: async (source, request, raw) => {
        const { signature, expiresAt } = verifyGeneric(
          source,
          header(request, 'x-dharma-timestamp'),
          header(request, 'x-dharma-signature'),
          raw,
          maxAgeMs,
          Date.now(),
        );
        if (!(await firstUse(ctx.db, signature, expiresAt))) {
          throw new Unauthenticated('replayed', 'this signature was already used');
        }
        return signature;
      },
      normalize: (body: Parameters<typeof normalizeGeneric>[0], source: string) =>
        normalizeGeneric(body, source, new Date()),
    },
  ];

  const taskQueue = taskQueueFor('orchestration', ctx.taskQueuePrefix);
  const deliver = (alert: NormalizedAlert) =>
    callTemporal(ctx, () => deliverAlert(ctx.temporal.workflow, alert, taskQueue)).then(({ workflowId }) => ({
      workflowId,
      fingerprint: alert.fingerprint,
      status: alert.status,
    }));

  for (const receiver of receivers) {
    const sources = new WeakMap<FastifyRequest, string>();
    const claims = new WeakMap<FastifyRequest, string>();
    app.post(
      `/v1/webhooks/${receiver.kind}`,
      {
        // Alert storms make these the busiest routes: accepted alerts and refusals are counted
        // (dharma_webhook_alerts_total, dharma_webhook_rejections_total) rather than logged per request;
        // server-side failures are still logged.
        logLevel: 'warn',
        schema: {
          summary: receiver.summary,
          tags: ['webhooks'],
          querystring: SourceQuery,
          body: receiver.body,
          response: { 202: Accepted, ...errorResponses(400, 401, 429, 503) },
        },
        // Before body validation: an unauthenticated caller learns nothing about the payload format.
        preValidation: async (request) => {
          const name = request.query.source ?? receiver.kind;
          let found: WebhookSource | undefined;
          try {
            found = checkSource(await sourceOf(name), name, receiver.kind);
            const claimed = await receiver.verify(found, request, rawBodies.get(request) ?? Buffer.alloc(0));
            if (claimed) claims.set(request, claimed);
          } catch (error) {
            if (error instanceof Unauthenticated) {
              rejections.inc({ source: found ? name : 'unknown', reason: error.reason });
            }
            throw error;
          }
          sources.set(request, name);
        },
        // Claimed against replay but not accepted (invalid body, Temporal unreachable): the sender's retry
        // of the same request must be answered as this one should have been, not refused as a replay.
        onSend: async (request, reply, payload) => {
          const claimed = claims.get(request);
          if (claimed && reply.statusCode !== 202) {
            await releaseUse(ctx.db, claimed).catch((error: unknown) =>
              request.log.warn({ err: error }, 'replay claim of a refused webhook not released'),
            );
          }
          return payload;
        },
      },
      async (request, reply) => {
        const source = sources.get(request)!;
        const normalized = receiver.normalize(request.body as never, source);
        // Every start/signal is durably accepted by Temporal before the 202; a failure of one fails the
        // call, and the sender's retry starts no second workflow (USE_EXISTING: it signals the same one).
        const workflows = await Promise.all(normalized.map(deliver));
        for (const alert of normalized) alerts.inc({ source, status: alert.status });
        return reply.code(202).send({ accepted: workflows.length, workflows });
      },
    );
  }
};

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export default webhooksRoutes;
