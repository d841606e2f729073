import { createHash, randomUUID } from 'node:crypto';
import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { getArtifactText } from '../../lib/artifacts/store.js';
import { redactPlanJson } from '../../lib/deployments/plan-redact.js';
import { getDeployment, type DeploymentRecord } from '../../lib/deployments/repository.js';
import { startRollback } from '../../lib/deployments/rollback.js';
import {
  startDeployment,
  type DeploymentStarter,
  type StartedDeployment,
} from '../../lib/deployments/start.js';
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
import { DeploymentNotFound, PlanNotAvailable } from '../errors.js';
import { authenticate, principalOf, requirePermission, zeroTrust } from '../guards.js';
import { idempotency, IDEMPOTENCY_HEADER } from '../idempotency.js';
import { ProvisionRequest, type ProvisionRequestBody } from '../provision-type.js';
import { links } from '../run-view.js';
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

  const starter: DeploymentStarter = {
    db: ctx.db,
    temporal: ctx.temporal,
    taskQueue: taskQueueFor('orchestration', ctx.taskQueuePrefix),
    call: (fn) => callTemporal(ctx, fn),
  };

  /**
   * With an Idempotency-Key the run's id is derived from it: a retry after an ambiguous failure
   * (deadline hit while the start went through) finds the deployment it already started.
   */
  const uniqueFor = (principal: ReturnType<typeof principalOf>, idempotencyKey: unknown) =>
    typeof idempotencyKey === 'string'
      ? {
          unique: createHash('sha256').update(`${principal.subject}\n${idempotencyKey}`).digest('hex'),
          reuse: true,
        }
      : { unique: randomUUID(), reuse: false };

  /** The 202 body of a started deployment, with its links. */
  const startedView = (started: StartedDeployment) => {
    const runLinks = links(ctx, started.deploymentId, started.runId);
    return {
      deploymentId: started.deploymentId,
      runId: started.runId,
      blueprintId: started.blueprintId,
      version: started.version,
      environment: started.environment,
      links: {
        self: `/v1/deployments/${encodeURIComponent(started.deploymentId)}`,
        run: runLinks.self,
        temporalUi: runLinks.temporalUi,
      },
    };
  };

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
      const principal = principalOf(request);
      const { unique, reuse } = uniqueFor(principal, request.headers[IDEMPOTENCY_HEADER]);
      const body = request.body;
      const started = await startDeployment(
        starter,
        provisionSpec.prepareInput({ ...body }, principal) as ProvisionInput,
        {
          workflowId: deploymentWorkflowId(body.blueprintId, body.environment, unique.slice(0, 12)),
          reuse,
        },
      );
      const view = startedView(started);
      return reply.code(202).header('location', view.links.self).send(view);
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
      const principal = principalOf(request);
      const note = request.body?.reason;
      // What only the server decides: requester, their zero-trust context, the saga's settings.
      const { requester, requesterAccess, settings } = provisionSpec.prepareInput(
        {},
        principal,
      ) as ProvisionInput;
      const started = await startRollback(starter, {
        from: row,
        requester,
        ...(requesterAccess ? { requesterAccess } : {}),
        settings,
        ...(note ? { note } : {}),
        ...uniqueFor(principal, request.headers[IDEMPOTENCY_HEADER]),
      });
      const view = startedView(started);
      return reply.code(202).header('location', view.links.self).send(view);
    },
  );
  done();
};

export default deploymentsRoutes;
