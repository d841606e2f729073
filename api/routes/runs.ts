import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { Compile } from 'typebox/compile';
import type { Validator } from 'typebox/compile';
import { taskQueueFor } from '../../lib/pools.js';
import { searchAttributePairs } from '../../lib/search-attributes.js';
import type { ApiContext } from '../context.js';
import { BadRequest, ValidationFailed, WorkflowTypeNotFound } from '../errors.js';
import { fieldProblems } from '../error-handler.js';
import { authenticate, principalOf, requirePermission, syncGuard, zeroTrust } from '../guards.js';
import { idempotency, IDEMPOTENCY_HEADER } from '../idempotency.js';
import {
  links,
  RUN_STATUSES,
  RunSummary,
  summaryFromVisibility,
  VISIBILITY_STATUS,
  type RunStatus,
} from '../run-view.js';
import { AUTHENTICATED_ERRORS, BEARER, errorResponses, IdempotencyHeaders } from '../schemas.js';
import { callTemporal } from '../temporal-calls.js';
import type { WorkflowTypeSpec } from '../workflow-types.js';
import { runDetail, RunDetail } from '../run-detail.js';
import { startOnce } from '../../lib/temporal/start-once.js';

const StartRunBody = Type.Object(
  {
    workflowType: Type.String({ minLength: 1, maxLength: 100, description: 'A registered workflow type.' }),
    input: Type.Record(Type.String(), Type.Unknown(), {
      description: "Validated against the type's input schema.",
    }),
    workflowId: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 200,
        pattern: '^[A-Za-z0-9][A-Za-z0-9._:-]*$',
        description: 'Default: derived from the type and input. An id an earlier run had is refused (409).',
      }),
    ),
  },
  { additionalProperties: false },
);

const RunStarted = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  workflowType: Type.String(),
  status: Type.Literal('RUNNING'),
  links: RunSummary.properties.links,
});

const DEFAULT_PAGE = 20;

/** Search attribute values stay within this alphabet, so they can be quoted into a visibility query. */
const FILTER_VALUE = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9._:@/-]+$' });

const ListRunsQuery = Type.Object(
  {
    workflowType: Type.Optional(FILTER_VALUE),
    status: Type.Optional(Type.Union(RUN_STATUSES.map((s) => Type.Literal(s)))),
    requester: Type.Optional(FILTER_VALUE),
    environment: Type.Optional(FILTER_VALUE),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_PAGE })),
    cursor: Type.Optional(Type.String({ maxLength: 4096, description: 'nextCursor of the previous page.' })),
  },
  { additionalProperties: false },
);

const RunPage = Type.Object({ items: Type.Array(RunSummary), nextCursor: Type.Optional(Type.String()) });

type StartBody = { workflowType: string; input: Record<string, unknown>; workflowId?: string };

const runsRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  const validators = new Map<string, Validator>();
  const specOf = (request: FastifyRequest): WorkflowTypeSpec => {
    const { workflowType } = request.body as StartBody;
    const spec = ctx.workflowTypes.get(workflowType);
    if (!spec) throw new WorkflowTypeNotFound(workflowType, [...ctx.workflowTypes.keys()]);
    return spec;
  };
  const checkInput = (request: FastifyRequest): void => {
    const spec = specOf(request);
    let validator = validators.get(spec.type);
    if (!validator) validators.set(spec.type, (validator = Compile(spec.inputSchema)));
    const { input } = request.body as StartBody;
    if (!validator.Check(input)) {
      throw new ValidationFailed(fieldProblems(validator.Errors(input), 'body', spec.inputSchema, '/input'));
    }
  };
  const validateInput = syncGuard(checkInput);
  const idempotent = idempotency(ctx);

  app.post(
    '/v1/runs',
    {
      schema: {
        summary: 'Start a run of a registered workflow type',
        tags: ['runs'],
        security: BEARER,
        headers: IdempotencyHeaders,
        body: StartRunBody,
        response: { 202: RunStarted, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      onRequest: authenticate(ctx),
      preHandler: [
        requirePermission((request) => specOf(request).permission),
        validateInput,
        zeroTrust(ctx, (request) => {
          const spec = specOf(request);
          const environment = spec.environment((request.body as StartBody).input);
          if (environment !== 'production') return undefined;
          return { resource: `runs/${environment}/${spec.type}`, action: 'start', environment };
        }),
        idempotent.preHandler,
      ],
      onSend: idempotent.onSend,
    },
    async (request, reply) => {
      const spec = specOf(request);
      const principal = principalOf(request);
      const { input } = request.body;
      const key = request.headers[IDEMPOTENCY_HEADER];
      // With a key, the id is derived from it: a retry after an ambiguous failure (deadline hit while the
      // start went through) finds the run it already started instead of starting a second one.
      const derived = request.body.workflowId === undefined && typeof key === 'string';
      const unique = derived
        ? createHash('sha256').update(`${principal.subject}\n${key}`).digest('hex').slice(0, 20)
        : randomUUID();
      const workflowId = request.body.workflowId ?? spec.workflowId(input, unique);
      const attributes = spec.searchAttributes(input, principal);
      const runId = await callTemporal(ctx, () =>
        startOnce(ctx.temporal, derived, workflowId, (policies) =>
          ctx.temporal.workflow.start(spec.type, {
            taskQueue: taskQueueFor(spec.pool, ctx.taskQueuePrefix),
            workflowId,
            args: [spec.prepareInput(input, principal)],
            typedSearchAttributes: searchAttributePairs(attributes),
            ...policies,
          }),
        ),
      );
      // The API only records that the run exists; the workflow's own activities update state and step.
      await ctx.db.query(
        `INSERT INTO runs (workflow_id, run_id, workflow_type, requester, environment, target, state)
         VALUES ($1, $2, $3, $4, $5, $6, 'queued') ON CONFLICT (workflow_id) DO NOTHING`,
        [
          workflowId,
          runId,
          spec.type,
          principal.subject,
          attributes.DharmaEnvironment ?? null,
          attributes.DharmaTarget ?? null,
        ],
      );
      const body = {
        workflowId,
        runId,
        workflowType: spec.type,
        status: 'RUNNING' as const,
        links: links(ctx, workflowId, runId),
      };
      return reply.code(202).header('location', body.links.self).send(body);
    },
  );

  app.get(
    '/v1/runs',
    {
      schema: {
        summary: 'List runs through Temporal visibility, newest first',
        tags: ['runs'],
        security: BEARER,
        querystring: ListRunsQuery,
        response: { 200: RunPage, ...errorResponses(...AUTHENTICATED_ERRORS) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('runs:read'),
    },
    async (request) => {
      const q = request.query;
      // Scoped to this installation's queue, so several prefixes can share a namespace.
      const clauses = [`TaskQueue = '${taskQueueFor('orchestration', ctx.taskQueuePrefix)}'`];
      if (q.workflowType) clauses.push(`WorkflowType = '${q.workflowType}'`);
      if (q.status) clauses.push(`ExecutionStatus = '${VISIBILITY_STATUS[q.status as RunStatus]}'`);
      if (q.requester) clauses.push(`DharmaRequester = '${q.requester}'`);
      if (q.environment) clauses.push(`DharmaEnvironment = '${q.environment}'`);
      let nextPageToken: Buffer | undefined;
      if (q.cursor !== undefined) {
        nextPageToken = Buffer.from(q.cursor, 'base64url');
        if (nextPageToken.length === 0)
          throw new BadRequest('cursor: expected the nextCursor of a previous page');
      }
      const page = await callTemporal(ctx, () =>
        ctx.temporal.workflowService.listWorkflowExecutions({
          namespace: ctx.temporal.options.namespace,
          pageSize: q.limit ?? DEFAULT_PAGE,
          query: clauses.join(' AND '),
          ...(nextPageToken ? { nextPageToken } : {}),
        }),
      ).catch((error: unknown) => {
        if (q.cursor !== undefined && (error as { code?: number }).code === 3) {
          throw new BadRequest('cursor: expected the nextCursor of a previous page');
        }
        throw error;
      });
      const token =
        page.nextPageToken && page.nextPageToken.length > 0 ? Buffer.from(page.nextPageToken) : undefined;
      return {
        items: (page.executions ?? []).map((info) => summaryFromVisibility(ctx, info)),
        ...(token ? { nextCursor: token.toString('base64url') } : {}),
      };
    },
  );

  app.get(
    '/v1/runs/:id',
    {
      schema: {
        summary: 'A run: status, current step, approval, result or failure',
        tags: ['runs'],
        security: BEARER,
        params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: RunDetail, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('runs:read'),
    },
    async (request) => runDetail(ctx, request.params.id),
  );
  done();
};

export default runsRoutes;
