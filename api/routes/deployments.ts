import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getArtifactText } from '../../lib/artifacts/store.js';
import { redactPlanJson } from '../../lib/deployments/plan-redact.js';
import { appendAudit } from '../../lib/db/audit.js';
import { BlueprintNotFound } from '../../lib/blueprints/errors.js';
import { getBlueprint } from '../../lib/blueprints/repository.js';
import {
  getDeployment,
  latestCompletedDeployment,
  insertDeployment,
  type DeploymentRecord,
} from '../../lib/deployments/repository.js';
import { taskQueueFor } from '../../lib/pools.js';
import type { PlanSummary } from '../../activities/terraform/contract.js';
import {
  approvalStatusQuery,
  deploymentQuery,
  deploymentWorkflowId,
  PROVISION_WORKFLOW_TYPE,
  type ProvisionInput,
} from '../../workflows/provision/contract.js';
import type { ApiContext } from '../context.js';
import {
  BlueprintNotFoundError,
  DeploymentNotFound,
  NothingToRollBackTo,
  PlanNotAvailable,
} from '../errors.js';
import { authenticate, principalOf, requirePermission, zeroTrust } from '../guards.js';
import { idempotency, IDEMPOTENCY_HEADER } from '../idempotency.js';
import { ProvisionRequest, type ProvisionRequestBody } from '../provision-type.js';
import { links, searchAttributePairs } from '../run-view.js';
import { AUTHENTICATED_ERRORS, BEARER, errorResponses, IdempotencyHeaders } from '../schemas.js';
import { callTemporal } from '../temporal-calls.js';

const IdParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 255, description: 'Deployment (workflow) id.' }),
});

const RollbackRequest = Type.Object(
  {
    reason: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 1000,
        description: 'Why the stack goes back; kept in the audit log and the DeploymentStarted event.',
      }),
    ),
  },
  { additionalProperties: false, description: 'May be omitted: a bare POST rolls back without a reason.' },
);

const DeploymentStarted = Type.Object({
  deploymentId: Type.String(),
  runId: Type.String(),
  blueprintId: Type.String(),
  version: Type.String(),
  environment: Type.String(),
  links: Type.Object({ self: Type.String(), run: Type.String(), temporalUi: Type.String() }),
});

const Deployment = Type.Object({
  id: Type.String(),
  blueprintId: Type.String(),
  version: Type.String(),
  environment: Type.String(),
  stack: Type.String(),
  state: Type.String(),
  step: Type.Optional(Type.String()),
  planHash: Type.Optional(Type.String()),
  plan: Type.Optional(Type.Unknown({ description: 'Plan summary: counts and changed resources.' })),
  policy: Type.Optional(Type.Unknown({ description: 'Guardrail warnings (a denial fails the deployment).' })),
  cost: Type.Optional(Type.Unknown()),
  risk: Type.Optional(Type.Unknown()),
  approval: Type.Optional(Type.Unknown({ description: 'Pending request or the decision.' })),
  access: Type.Optional(Type.Unknown({ description: 'Zero-trust re-check before apply.' })),
  outputs: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  variables: Type.Optional(
    Type.Record(Type.String(), Type.Unknown(), { description: 'The variable values it was planned with.' }),
  ),
  failure: Type.Optional(Type.String()),
  requester: Type.String(),
  approver: Type.Optional(Type.String()),
  createdAt: Type.Optional(Type.String()),
  updatedAt: Type.Optional(Type.String()),
  completedAt: Type.Optional(Type.String()),
});

const DeploymentPlan = Type.Object({
  planHash: Type.String(),
  summary: Type.Array(Type.String(), {
    description: 'One line per changed resource, as people read a plan.',
  }),
  plan: Type.Unknown({
    description: 'The plan JSON (`tofu show -json`), sensitive values replaced by "(sensitive value)".',
  }),
});

const SYMBOL: Record<string, string> = {
  create: '+',
  update: '~',
  delete: '-',
  replace: '-/+',
  read: '<=',
  'no-op': ' ',
};

/** The plan as people read it: a headline and one line per changed resource. */
function readablePlan(summary: PlanSummary): string[] {
  return [
    `Plan: ${summary.add} to add, ${summary.change} to change, ${summary.destroy} to destroy, ${summary.replace} to replace.`,
    ...summary.resources
      .filter((r) => r.action !== 'no-op')
      .map((r) => `  ${SYMBOL[r.action] ?? '?'} ${r.address} (${r.action})`),
  ];
}

const deploymentsRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  // The provision workflow type holds the settings the app was built with (DEPLOY_APPROVAL_ENVIRONMENTS, ...).
  const provisionSpec = ctx.workflowTypes.get(PROVISION_WORKFLOW_TYPE);
  if (!provisionSpec) throw new Error(`workflow type ${PROVISION_WORKFLOW_TYPE} is not registered`);

  const find = async (id: string): Promise<DeploymentRecord> => {
    const found = await getDeployment(ctx.db, id);
    if (!found) throw new DeploymentNotFound(id);
    return found;
  };

  const idempotent = idempotency(ctx);

  async function start(
    body: ProvisionRequestBody,
    principal: ReturnType<typeof principalOf>,
    idempotencyKey: unknown,
    reason?: ProvisionInput['reason'],
  ) {
    let version: string;
    try {
      version = (await getBlueprint(ctx.db, body.blueprintId, body.version ? { version: body.version } : {}))
        .blueprint.version;
    } catch (error) {
      if (error instanceof BlueprintNotFound) throw new BlueprintNotFoundError(error.message);
      throw error;
    }
    // With a key, the id is derived from it: a retry after an ambiguous failure (deadline hit while the
    // start went through) finds the deployment it already started instead of starting a second one.
    const derived = typeof idempotencyKey === 'string';
    const unique = derived
      ? createHash('sha256').update(`${principal.subject}\n${idempotencyKey}`).digest('hex')
      : randomUUID();
    const workflowId = deploymentWorkflowId(body.blueprintId, body.environment, unique.slice(0, 12));
    const input: ProvisionInput = {
      ...(provisionSpec!.prepareInput({ ...body, version }, principal) as ProvisionInput),
      ...(reason ? { reason } : {}),
    };
    const stack = body.stack ?? body.blueprintId;
    const handle = await callTemporal(ctx, () =>
      ctx.temporal.workflow.start(PROVISION_WORKFLOW_TYPE, {
        taskQueue: taskQueueFor('orchestration', ctx.taskQueuePrefix),
        workflowId,
        args: [input],
        typedSearchAttributes: searchAttributePairs({
          DharmaRequester: principal.subject,
          DharmaEnvironment: body.environment,
          DharmaTarget: stack,
          DharmaState: 'queued',
        }),
        workflowIdConflictPolicy: derived ? 'USE_EXISTING' : 'FAIL',
      }),
    );
    // Only inserted: a deployment found again through its key has moved on and writes its own row.
    await insertDeployment(ctx.db, {
      id: workflowId,
      blueprintId: body.blueprintId,
      version,
      environment: body.environment,
      stack,
      state: 'queued',
      requester: principal.subject,
      runId: handle.firstExecutionRunId,
      ...(body.variables ? { variables: body.variables } : {}),
    });
    await ctx.db.query(
      `INSERT INTO runs (workflow_id, run_id, workflow_type, requester, environment, target, state)
       VALUES ($1, $2, $3, $4, $5, $6, 'queued') ON CONFLICT (workflow_id) DO NOTHING`,
      [
        workflowId,
        handle.firstExecutionRunId,
        PROVISION_WORKFLOW_TYPE,
        principal.subject,
        body.environment,
        stack,
      ],
    );
    const runLinks = links(ctx, workflowId, handle.firstExecutionRunId);
    return {
      deploymentId: workflowId,
      runId: handle.firstExecutionRunId,
      blueprintId: body.blueprintId,
      version,
      environment: body.environment,
      links: {
        self: `/v1/deployments/${encodeURIComponent(workflowId)}`,
        run: runLinks.self,
        temporalUi: runLinks.temporalUi,
      },
    };
  }

  const productionGuard = (environment: string, blueprintId: string) =>
    environment === 'production'
      ? { resource: `deployments/${environment}/${blueprintId}`, action: 'deploy', environment }
      : undefined;

  app.post(
    '/v1/deployments',
    {
      schema: {
        summary: 'Deploy a blueprint version to an environment (starts a provision run)',
        tags: ['deployments'],
        security: BEARER,
        headers: IdempotencyHeaders,
        body: ProvisionRequest,
        response: { 202: DeploymentStarted, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      onRequest: authenticate(ctx),
      preHandler: [
        requirePermission('runs:create'),
        zeroTrust(ctx, (request) => {
          const body = request.body as ProvisionRequestBody;
          return productionGuard(body.environment, body.blueprintId);
        }),
        idempotent.preHandler,
      ],
      onSend: idempotent.onSend,
    },
    async (request, reply) => {
      const started = await start(request.body, principalOf(request), request.headers[IDEMPOTENCY_HEADER]);
      return reply.code(202).header('location', started.links.self).send(started);
    },
  );

  app.get(
    '/v1/deployments/:id',
    {
      schema: {
        summary: 'A deployment: state, plan summary, policy results, cost, risk, approvals, outputs',
        tags: ['deployments'],
        security: BEARER,
        params: IdParams,
        response: { 200: Deployment, ...errorResponses(...AUTHENTICATED_ERRORS, 404) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('runs:read'),
    },
    async (request) => {
      const row = await find(request.params.id);
      const { planSummary, planJsonRef: _ref, runId: _run, ...fields } = row;
      // A live run knows more than the last row written (the pending approval, the access re-check).
      const handle = ctx.temporal.workflow.getHandle(row.id);
      const [view, approval] = await Promise.all([
        callTemporal(ctx, () => handle.query(deploymentQuery)).catch(() => undefined),
        callTemporal(ctx, () => handle.query(approvalStatusQuery)).catch(() => undefined),
      ]);
      return {
        ...fields,
        ...(planSummary !== undefined ? { plan: planSummary } : {}),
        ...(approval && approval.state !== 'not_requested' ? { approval } : {}),
        ...(view?.access ? { access: view.access } : {}),
      };
    },
  );

  app.get(
    '/v1/deployments/:id/plan',
    {
      schema: {
        summary: 'The plan of a deployment: readable summary and the plan JSON',
        tags: ['deployments'],
        security: BEARER,
        params: IdParams,
        response: { 200: DeploymentPlan, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      onRequest: authenticate(ctx),
      preHandler: requirePermission('runs:read'),
    },
    async (request) => {
      const row = await find(request.params.id);
      if (!row.planJsonRef || !row.planHash || !row.planSummary)
        throw new PlanNotAvailable(`deployment ${row.id} has no plan yet (state ${row.state})`);
      return {
        planHash: row.planHash,
        summary: readablePlan(row.planSummary as PlanSummary),
        plan: redactPlanJson(JSON.parse(await getArtifactText(ctx.db, row.planJsonRef)) as unknown),
      };
    },
  );

  app.post(
    '/v1/deployments/:id/rollback',
    {
      schema: {
        summary: 'Deploy the version the stack had before this deployment (a new provision run)',
        tags: ['deployments'],
        security: BEARER,
        params: IdParams,
        headers: IdempotencyHeaders,
        body: RollbackRequest,
        response: { 202: DeploymentStarted, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      onRequest: authenticate(ctx),
      // The body is optional: a bare POST is a rollback without a stated reason.
      preValidation: (request, _reply, next) => {
        request.body ??= {};
        next();
      },
      preHandler: [
        requirePermission('runs:create'),
        zeroTrust(ctx, async (request) => {
          const row = await find((request.params as { id: string }).id);
          return productionGuard(row.environment, row.blueprintId);
        }),
        idempotent.preHandler,
      ],
      onSend: idempotent.onSend,
    },
    async (request, reply) => {
      const row = await find(request.params.id);
      const previous = await latestCompletedDeployment(ctx.db, row.stack, row.environment, {
        excludeId: row.id,
        ...(row.completedAt ? { before: row.completedAt } : {}),
      });
      if (!previous)
        throw new NothingToRollBackTo(
          `stack ${row.stack} in ${row.environment} has no deployment before ${row.id}`,
        );
      const principal = principalOf(request);
      const note = request.body?.reason;
      const started = await start(
        {
          blueprintId: previous.blueprintId,
          version: previous.version,
          environment: row.environment,
          stack: row.stack,
          ...(previous.variables ? { variables: previous.variables } : {}),
        },
        principal,
        request.headers[IDEMPOTENCY_HEADER],
        { kind: 'rollback', from: row.id, ...(note ? { note } : {}) },
      );
      await appendAudit(ctx.db, {
        actor: principal.subject,
        action: 'deployment.rollback',
        target: `${row.stack}:${row.environment}`,
        ...(note ? { reason: note } : {}),
        workflowId: started.deploymentId,
        runId: started.runId,
        details: { from: row.id, fromVersion: row.version, toVersion: previous.version },
        // A retry that finds the same rollback run again does not log it twice.
        dedupeKey: `deployment.rollback:${started.deploymentId}`,
      });
      return reply.code(202).header('location', started.links.self).send(started);
    },
  );
  done();
};

export default deploymentsRoutes;
