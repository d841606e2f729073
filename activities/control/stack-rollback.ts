import { createHash } from 'node:crypto';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import {
  getDeployment,
  latestCompletedDeployment,
  type DeploymentState,
} from '../../lib/deployments/repository.js';
import { NoPreviousDeployment, rollbackWorkflowId, startRollback } from '../../lib/deployments/rollback.js';
import { provisionSettings } from '../../lib/deployments/settings.js';
import type { ProvisionResult } from '../../workflows/provision/contract.js';
import { fields, invalidInput, refused } from '../cloud/remediation/input.js';
import type { ActivityDeps } from '../deps.js';
import { activityOrigin } from '../origin.js';

export interface RollbackStackInput {
  stack: string;
  /** Default: the only environment the stack has a completed deployment in. */
  environment?: string;
}

export interface RollbackStackResult {
  /** The rollback run (a deployment of its own). */
  deploymentId: string;
  runId: string;
  stack: string;
  environment: string;
  /** The version the stack is back at. */
  rolledBackTo: string;
  state: DeploymentState;
}

/** The rollback run ended without completing (guardrails, approval refused, apply failed and undone). */
export const STACK_ROLLBACK_FAILED = 'StackRollbackFailed';

const ACTIVITY = 'rollbackStack';
/** Heartbeat at least this often, and a few times per heartbeat timeout. */
const MAX_HEARTBEAT_EVERY_MS = 10_000;

/**
 * The stack.rollback playbook action (orchestration pool): rolls the latest completed deployment of a
 * stack back to the version before it through the provisioning saga, the same start the API's
 * POST /v1/deployments/{id}/rollback makes, and waits for the run while heartbeating. The run's id comes
 * from the calling workflow and activity id, so a retry (or a worker lost mid-wait) finds the same run.
 * Cancelling the activity stops the wait only: the rollback run is a deployment of its own and goes on.
 */
export function createStackRollbackActivities(deps: ActivityDeps) {
  const settings = provisionSettings(deps.env);

  async function environmentOf(stack: string): Promise<string> {
    const { rows } = await deps.db.query<{ environment: string }>(
      `SELECT DISTINCT environment FROM deployments WHERE stack = $1 AND state = 'completed' ORDER BY 1`,
      [stack],
    );
    if (rows.length === 0) refused(ACTIVITY, `stack ${stack} has no completed deployment to roll back`);
    if (rows.length > 1) {
      invalidInput(
        ACTIVITY,
        'environment',
        `one of ${rows.map((r) => r.environment).join(', ')} (stack ${stack} is deployed to several)`,
        undefined,
      );
    }
    return rows[0]!.environment;
  }

  return {
    async rollbackStack(input: RollbackStackInput): Promise<RollbackStackResult> {
      const f = fields(ACTIVITY, input);
      const stack = f.string('stack');
      const environment = f.optionalString('environment') ?? (await environmentOf(stack));
      const origin = activityOrigin();
      const unique = createHash('sha256').update(origin.key).digest('hex');
      const workflowId = rollbackWorkflowId(stack, environment, unique);
      const handle = deps.temporal.workflow.getHandle<(i: unknown) => Promise<ProvisionResult>>(workflowId);

      let runId: string;
      try {
        runId = (await handle.describe()).runId;
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        const from = await latestCompletedDeployment(deps.db, stack, environment);
        if (!from) refused(ACTIVITY, `stack ${stack} has no completed deployment in ${environment}`);
        try {
          runId = (
            await startRollback(
              { db: deps.db, temporal: deps.temporal, taskQueue: Context.current().info.taskQueue },
              {
                from,
                requester: `remediation:${origin.workflowId ?? 'standalone'}`,
                settings,
                note: `playbook action stack.rollback (${origin.key})`,
                autoApply: true,
                unique,
                reuse: true,
              },
            )
          ).runId;
        } catch (failure) {
          if (failure instanceof NoPreviousDeployment) {
            refused(ACTIVITY, `no previous version to roll back to: ${failure.message}`);
          }
          throw failure;
        }
      }

      const result = await waitHeartbeating(deps, handle, { deploymentId: workflowId, runId });
      return {
        deploymentId: workflowId,
        runId,
        stack,
        environment,
        rolledBackTo: result.version,
        state: result.view.state,
      };
    },
  };
}

/** The run's result; a run that failed fails this activity without retrying (a retry would find it again). */
async function waitHeartbeating(
  deps: ActivityDeps,
  handle: { result(): Promise<ProvisionResult>; workflowId: string },
  progress: { deploymentId: string; runId: string },
): Promise<ProvisionResult> {
  const ctx = Context.current();
  const every = Math.min(MAX_HEARTBEAT_EVERY_MS, (ctx.info.heartbeatTimeoutMs ?? 30_000) / 3);
  ctx.heartbeat(progress);
  const timer = setInterval(() => ctx.heartbeat(progress), every);
  try {
    return await deps.temporal.withAbortSignal(ctx.cancellationSignal, () => handle.result());
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    // The saga records why it failed in the deployment's row.
    const row = await getDeployment(deps.db, handle.workflowId);
    const state = row?.state ?? 'failed';
    throw ApplicationFailure.create({
      type: STACK_ROLLBACK_FAILED,
      nonRetryable: true,
      message: `${ACTIVITY}: rollback run ${handle.workflowId} ended ${state}: ${row?.failure ?? error.message}`,
      details: [{ ...progress, state }],
    });
  } finally {
    clearInterval(timer);
  }
}
