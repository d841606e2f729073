import { CancellationScope, workflowInfo } from '@temporalio/workflow';
import type { EnsureDriftScheduleInput } from '../../activities/control/drift-schedules.js';
import type { DeploymentBlueprint, DeploymentProgress } from '../../activities/store/deployments.js';
import type { TopologySnapshot } from '../../lib/topology/store.js';
import type { ApplyOutcome, PreparedWorkspace } from '../../activities/terraform/contract.js';
import type { ProvisionActivities } from './activities.js';
import type { Saga } from '../lib/saga.js';
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
  /** From STEPS_BESIDE on (workflow.ts) the drift Schedule was set while tofu applied. */
  driftScheduled?: Promise<unknown>;
}

function driftSchedule(ctx: FinishContext, bp: DeploymentBlueprint): EnsureDriftScheduleInput {
  const { input, stack } = ctx;
  return {
    check: {
      blueprintId: bp.blueprintId,
      stack,
      environment: input.environment,
      reconcile: bp.drift?.reconcile ?? false,
      requester: input.requester,
      settings: input.settings,
    },
    interval: bp.drift?.interval ?? input.settings.driftInterval,
    taskQueue: workflowInfo().taskQueue,
  };
}

/**
 * Sets the stack's drift Schedule beside the apply, on the orchestration pool, instead of after it:
 * the run then ends as soon as it is verified. Its undo, registered first, waits for it to finish (it
 * cannot be cancelled half-way) and puts back the check it replaced, or removes the Schedule it made.
 */
export function scheduleDriftBesideApply(
  ctx: FinishContext,
  bp: DeploymentBlueprint,
  saga: Saga,
): Promise<unknown> {
  const { a, input, stack } = ctx;
  const ensuring = CancellationScope.nonCancellable(() =>
    a.store.ensureDriftSchedule(driftSchedule(ctx, bp)),
  );
  void ensuring.catch(() => undefined);
  saga.add('restore the drift schedule', async () => {
    const { replaced } = await ensuring;
    await a.undoStore.restoreDriftSchedule({
      stack,
      environment: input.environment,
      ...(replaced ? { replaced } : {}),
    });
  });
  return ensuring;
}

function topologyOf(ctx: FinishContext, bp: DeploymentBlueprint, applied: ApplyOutcome): TopologySnapshot {
  return {
    deploymentId: ctx.deploymentId,
    stack: ctx.stack,
    environment: ctx.input.environment,
    nodes: applied.resources.map((r) => ({
      address: r.address,
      type: r.type,
      ...(r.id !== undefined ? { providerId: r.id } : {}),
    })),
    edges: bp.edges,
  };
}

/**
 * What a verified deployment still does, from STEPS_BESIDE on: its last writes and the completed
 * record in one local activity, once the drift Schedule set beside the apply is in place.
 */
export async function finishTogether(
  ctx: FinishContext,
  bp: DeploymentBlueprint,
  applied: ApplyOutcome,
  workspace: PreparedWorkspace,
  completed: DeploymentProgress,
): Promise<void> {
  await Promise.all([
    ctx.driftScheduled,
    ctx.a.local.finishDeployment({
      topology: topologyOf(ctx, bp, applied),
      reservationId: ctx.deploymentId,
      workspace: { workspace },
      completed,
    }),
  ]);
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
  const { a, deploymentId } = ctx;
  const store = ctx.together ? a.local : a.store;
  return [
    () => store.registerTopology(topologyOf(ctx, bp, applied)),
    () => store.commitDeploymentBudget(deploymentId),
    () => store.ensureDriftSchedule(driftSchedule(ctx, bp)),
    () =>
      ctx.localCleanup
        ? a.local.cleanupDeploymentWorkspace({ workspace })
        : a.tofu.cleanupWorkspace({ workspace }),
  ] as const;
}
