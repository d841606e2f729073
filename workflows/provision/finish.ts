import { workflowInfo } from '@temporalio/workflow';
import type { DeploymentBlueprint } from '../../activities/store/deployments.js';
import type { ApplyOutcome, PreparedWorkspace } from '../../activities/terraform/contract.js';
import type { ProvisionActivities } from './activities.js';
import type { ProvisionInput } from './contract.js';

export interface FinishContext {
  a: ProvisionActivities;
  /** From FEWER_ROUND_TRIPS on (workflow.ts) the orchestration pool's steps run as local activities. */
  together: boolean;
  /** From LOCAL_CLEANUP on (workflow.ts) the workspace is marked cleaned by a local activity too. */
  localCleanup: boolean;
  input: ProvisionInput;
  deploymentId: string;
  stack: string;
}

/**
 * What a verified deployment still does, in the order older runs did it: register its topology, commit
 * its budget reservation, schedule its drift check, mark its workspace cleaned. None needs another's
 * result, so newer runs do them together.
 */
export function finishingSteps(
  ctx: FinishContext,
  bp: DeploymentBlueprint,
  applied: ApplyOutcome,
  workspace: PreparedWorkspace,
) {
  const { a, input, deploymentId, stack } = ctx;
  const { environment } = input;
  const store = ctx.together ? a.local : a.store;
  return [
    () =>
      store.registerTopology({
        deploymentId,
        stack,
        environment,
        nodes: applied.resources.map((r) => ({
          address: r.address,
          type: r.type,
          ...(r.id !== undefined ? { providerId: r.id } : {}),
        })),
        edges: bp.edges,
      }),
    () => store.commitDeploymentBudget(deploymentId),
    () =>
      store.ensureDriftSchedule({
        check: {
          blueprintId: bp.blueprintId,
          stack,
          environment,
          reconcile: bp.drift?.reconcile ?? false,
          requester: input.requester,
          settings: input.settings,
        },
        interval: bp.drift?.interval ?? input.settings.driftInterval,
        taskQueue: workflowInfo().taskQueue,
      }),
    () =>
      ctx.localCleanup
        ? a.local.cleanupDeploymentWorkspace({ workspace })
        : a.tofu.cleanupWorkspace({ workspace }),
  ] as const;
}
