import type { FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { appendAudit } from '../../lib/db/audit.js';
import { APPROVAL_REFUSALS, approveUpdate, rejectUpdate } from '../../workflows/lib/approval-contract.js';
import type { ApiContext } from '../context.js';
import { ApprovalRefused, BadRequest, RunNotRunning } from '../errors.js';
import { authenticate, principalOf, requirePermission, zeroTrust, type AccessTarget } from '../guards.js';
import { idempotency } from '../idempotency.js';
import { describedAttributes } from '../run-view.js';
import { AUTHENTICATED_ERRORS, BEARER, errorResponses, IdempotencyHeaders, RunIdParams } from '../schemas.js';
import { callTemporal } from '../temporal-calls.js';

const ApprovalBody = Type.Object(
  {
    decision: Type.Union([Type.Literal('approve'), Type.Literal('reject')]),
    changeHash: Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The changeHash shown by GET /v1/runs/{id}.',
    }),
    reason: Type.Optional(Type.String({ maxLength: 2000 })),
  },
  { additionalProperties: false },
);

const ApprovalResult = Type.Object({
  decision: Type.String(),
  approver: Type.Optional(Type.String()),
  reason: Type.Optional(Type.String()),
  changeHash: Type.String(),
  decidedAt: Type.String(),
});

const CancelBody = Type.Object(
  { reason: Type.Optional(Type.String({ maxLength: 2000 })) },
  { additionalProperties: false },
);
const CancelAccepted = Type.Object({ workflowId: Type.String(), status: Type.Literal('CANCEL_REQUESTED') });

const runActionsRoutes: FastifyPluginCallbackTypebox<{ ctx: ApiContext }> = (app, { ctx }, done) => {
  // The guard describes the run to learn its environment; the handler reuses that description.
  const described = new WeakMap<FastifyRequest, WorkflowExecutionDescription>();
  const runTarget =
    (action: string) =>
    async (request: FastifyRequest): Promise<AccessTarget> => {
      const { id } = request.params as { id: string };
      const description = await callTemporal(ctx, () => ctx.temporal.workflow.getHandle(id).describe(), id);
      described.set(request, description);
      const { environment } = describedAttributes(description);
      return {
        resource: `runs/${environment ?? 'unknown'}/${id}`,
        action,
        ...(environment ? { environment } : {}),
        workflowId: id,
      };
    };
  const idempotent = idempotency(ctx);

  app.post(
    '/v1/runs/:id/approvals',
    {
      schema: {
        summary: "Approve or reject a run's pending change (approval gate update)",
        tags: ['runs'],
        security: BEARER,
        headers: IdempotencyHeaders,
        params: RunIdParams,
        body: ApprovalBody,
        response: { 200: ApprovalResult, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      onRequest: authenticate(ctx),
      preHandler: [
        requirePermission('runs:approve'),
        zeroTrust(ctx, runTarget('approve')),
        idempotent.preHandler,
      ],
      onSend: idempotent.onSend,
    },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const { decision, changeHash, reason } = request.body;
      const description = described.get(request);
      const audit = (outcome: string, why: string | undefined) =>
        appendAudit(ctx.db, {
          actor: principal.subject,
          action: `run.${decision}`,
          target: (description && describedAttributes(description).target) ?? id,
          decision: outcome,
          ...(why ? { reason: why } : {}),
          sourceIp: request.ip,
          workflowId: id,
          ...(description ? { runId: description.runId } : {}),
          details: { changeHash },
        });
      const handle = ctx.temporal.workflow.getHandle(id);
      try {
        const outcome = await callTemporal(
          ctx,
          () =>
            handle.executeUpdate(decision === 'approve' ? approveUpdate : rejectUpdate, {
              args: [
                {
                  approver: principal.subject,
                  roles: principal.roles,
                  changeHash,
                  ...(reason ? { reason } : {}),
                },
              ],
            }),
          id,
        );
        await audit(outcome.decision, reason);
        return outcome;
      } catch (error) {
        const cause = error instanceof WorkflowUpdateFailedError ? error.cause : undefined;
        if (!(cause instanceof ApplicationFailure)) throw error;
        await audit('refused', cause.message);
        if (cause.type === APPROVAL_REFUSALS.forbidden)
          throw new ApprovalRefused(403, cause.message, cause.type);
        if (cause.type === APPROVAL_REFUSALS.conflict)
          throw new ApprovalRefused(409, cause.message, cause.type);
        throw new BadRequest(cause.message);
      }
    },
  );

  app.post(
    '/v1/runs/:id/cancel',
    {
      schema: {
        summary: 'Request cancellation of a running run (its saga compensates)',
        tags: ['runs'],
        security: BEARER,
        headers: IdempotencyHeaders,
        params: RunIdParams,
        body: CancelBody,
        response: { 202: CancelAccepted, ...errorResponses(...AUTHENTICATED_ERRORS, 404, 409) },
      },
      onRequest: authenticate(ctx),
      preHandler: [
        requirePermission('runs:cancel'),
        zeroTrust(ctx, runTarget('cancel')),
        idempotent.preHandler,
      ],
      onSend: idempotent.onSend,
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const { id } = request.params;
      const description = described.get(request);
      if (description && description.status.name !== 'RUNNING')
        throw new RunNotRunning(id, description.status.name);
      await callTemporal(ctx, () => ctx.temporal.workflow.getHandle(id).cancel(), id);
      await appendAudit(ctx.db, {
        actor: principal.subject,
        action: 'run.cancel',
        target: (description && describedAttributes(description).target) ?? id,
        decision: 'cancel_requested',
        ...(request.body?.reason ? { reason: request.body.reason } : {}),
        sourceIp: request.ip,
        workflowId: id,
        ...(description ? { runId: description.runId } : {}),
      });
      return reply.code(202).send({ workflowId: id, status: 'CANCEL_REQUESTED' as const });
    },
  );
  done();
};

export default runActionsRoutes;
