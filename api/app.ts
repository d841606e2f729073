import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import { TypeBoxValidatorCompiler, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Client } from '@temporalio/client';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type RawReplyDefaultExpression,
  type RawRequestDefaultExpression,
  type RawServerDefault,
} from 'fastify';
import type pg from 'pg';
import { durationSetting, intSetting, setting, type Env } from '../lib/config.js';
import type { AuthConfig } from '../lib/auth/config.js';
import { createTokenVerifier } from '../lib/auth/verify.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { trustOptionsFromEnv, type TrustOptions } from '../lib/trust/options.js';
import type { ApiContext } from './context.js';
import { installErrorHandler } from './error-handler.js';
import { RateLimited } from './errors.js';
import { purgeExpiredIdempotencyKeys } from './idempotency.js';
import { createApiMetrics } from './metrics.js';
import auditRoutes from './routes/audit.js';
import blueprintsRoutes from './routes/blueprints.js';
import deploymentsRoutes from './routes/deployments.js';
import docsRoutes from './routes/docs.js';
import healthRoutes from './routes/health.js';
import incidentsRoutes from './routes/incidents.js';
import metricsRoutes from './routes/metrics.js';
import runActionsRoutes from './routes/run-actions.js';
import runsRoutes from './routes/runs.js';
import webhooksRoutes from './routes/webhooks.js';
import { createWorkflowTypes, type WorkflowTypeRegistry } from './workflow-types.js';

export interface BuildAppOptions {
  temporal: Client;
  db: pg.Pool;
  auth: AuthConfig;
  /** A pino logger, or false for none. Default: the `api` logger. */
  logger?: Logger | false;
  /** Temporal UI base URL for run links. Default: TEMPORAL_UI_URL, else the embedded UI. */
  uiBaseUrl?: string;
  /** Where settings are read from. Default: process.env. */
  env?: Env;
  /** Task queue prefix. Default: DHARMA_TASK_QUEUE_PREFIX. */
  taskQueuePrefix?: string;
  /** Default: RATE_LIMIT_PER_MINUTE. */
  rateLimitPerMinute?: number;
  /** Deadline of one Temporal call before a 503. Default: API_TEMPORAL_TIMEOUT. */
  temporalTimeoutMs?: number;
  workflowTypes?: WorkflowTypeRegistry;
  trust?: TrustOptions;
  /** Honour X-Forwarded-For (behind a reverse proxy). Default: API_TRUST_PROXY. */
  trustProxy?: boolean;
}

export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

const PURGE_EVERY_MS = 10 * 60_000;

function uiBaseUrl(env: Env): string {
  return setting('TEMPORAL_UI_URL', env) || `http://127.0.0.1:${setting('TEMPORAL_UI_PORT', env)}`;
}

/** The API as a Fastify instance, not listening: the server (api/server.ts) and tests (`inject`) share it. */
export async function buildApp(options: BuildAppOptions): Promise<ApiApp> {
  const env = options.env ?? process.env;
  const logger: FastifyBaseLogger | undefined =
    options.logger === false ? undefined : (options.logger ?? createLogger('api'));
  const app = Fastify({
    ...(logger ? { loggerInstance: logger } : { logger: false }),
    trustProxy: options.trustProxy ?? setting('API_TRUST_PROXY', env) === 'true',
    // Fastify's own ajv is not used: every schema is TypeBox, validated by TypeBox's compiler.
    schemaErrorFormatter: (errors) => Object.assign(new Error('validation failed'), { validation: errors }),
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(TypeBoxValidatorCompiler);

  const ctx: ApiContext = {
    temporal: options.temporal,
    db: options.db,
    verify: createTokenVerifier(options.auth),
    metrics: createApiMetrics(),
    workflowTypes: options.workflowTypes ?? createWorkflowTypes(env),
    trust: options.trust ?? trustOptionsFromEnv(env),
    taskQueuePrefix: options.taskQueuePrefix ?? setting('DHARMA_TASK_QUEUE_PREFIX', env),
    uiBaseUrl: options.uiBaseUrl ?? uiBaseUrl(env),
    temporalTimeoutMs: options.temporalTimeoutMs ?? durationSetting('API_TEMPORAL_TIMEOUT', env),
    idempotencyTtlHours: intSetting('IDEMPOTENCY_TTL_HOURS', env),
  };

  installErrorHandler(app);
  app.addHook('onResponse', async (request, reply) => {
    ctx.metrics.requestDuration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  });

  const max = options.rateLimitPerMinute ?? intSetting('RATE_LIMIT_PER_MINUTE', env);
  await app.register(rateLimit, {
    max,
    timeWindow: 60_000,
    errorResponseBuilder: (_request, context) => new RateLimited(context.max, context.after),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Dharma API',
        version: '1',
        description: 'Start and steer infrastructure operations that run as durable Temporal workflows.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
      tags: [
        { name: 'runs', description: 'Workflow runs' },
        { name: 'audit', description: 'Audit log' },
        { name: 'blueprints', description: 'Versioned infrastructure blueprints' },
        { name: 'deployments', description: 'Blueprint deployments (provision runs)' },
        { name: 'health', description: 'Liveness, readiness, metrics' },
        { name: 'webhooks', description: 'Alert intake from monitoring (per-source credentials)' },
        { name: 'incidents', description: 'Incidents opened from alerts, with their timelines' },
      ],
    },
  });

  await app.register(docsRoutes);
  await app.register(healthRoutes, { ctx });
  await app.register(metricsRoutes, { ctx });
  await app.register(runsRoutes, { ctx });
  await app.register(runActionsRoutes, { ctx });
  await app.register(auditRoutes, { ctx });
  await app.register(blueprintsRoutes, { ctx });
  await app.register(deploymentsRoutes, { ctx });
  await app.register(webhooksRoutes, { ctx, env });
  await app.register(incidentsRoutes, { ctx });

  let purge: NodeJS.Timeout | undefined;
  app.addHook('onReady', (done) => {
    purge = setInterval(() => {
      purgeExpiredIdempotencyKeys(ctx).catch((error: unknown) =>
        app.log.warn({ err: error }, 'idempotency purge failed'),
      );
    }, PURGE_EVERY_MS);
    purge.unref();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    clearInterval(purge);
    done();
  });
  return app;
}
