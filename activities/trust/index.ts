import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import { appendAudit } from '../../lib/db/audit.js';
import { trustOptionsFromEnv } from '../../lib/trust/options.js';
import { evaluateAccess, type AccessDecision, type AccessRequest } from '../../lib/trust/zero-trust.js';
import { activityOrigin } from '../origin.js';
import { pingActivity } from '../ping.js';

/** Zero-trust decisions for workflow steps (domain section 4); every decision lands in the audit log. */
export function createTrustActivities(deps: ActivityDeps) {
  // Settings are read once per worker; a bad value fails the worker at start, not every activity.
  const options = trustOptionsFromEnv(deps.env);
  return {
    ping: pingActivity('trust'),

    /**
     * Scores the request and records AccessGranted / AccessDenied. A denial is a result, not a failure:
     * the workflow decides what to do with it (fail with PolicyDenied, wait for step-up, ...).
     */
    async evaluateAccess(request: AccessRequest): Promise<AccessDecision> {
      if (typeof request?.subject !== 'string' || typeof request.resource !== 'string') {
        throw ApplicationFailure.nonRetryable(
          'evaluateAccess: expected an AccessRequest with string subject and resource',
          'InvalidAccessRequest',
        );
      }
      const origin = activityOrigin();
      // Evaluated as of scheduling, so a retry reaches the same decision the audit row already holds.
      const decision = evaluateAccess(request, options, origin.scheduledAt);
      await appendAudit(deps.db, {
        actor: request.subject,
        action: decision.decision === 'ALLOW' ? 'AccessGranted' : 'AccessDenied',
        target: request.resource,
        decision: decision.access ? `${decision.decision}:${decision.access}` : decision.decision,
        reason: decision.reasons.join('; '),
        ...(request.sourceIp !== undefined ? { sourceIp: request.sourceIp } : {}),
        ...(origin.workflowId !== undefined ? { workflowId: origin.workflowId } : {}),
        ...(origin.runId !== undefined ? { runId: origin.runId } : {}),
        details: {
          action: request.action,
          score: decision.score,
          scores: decision.scores,
          policies: decision.policies,
        },
        dedupeKey: origin.key,
      });
      return decision;
    },
  };
}
