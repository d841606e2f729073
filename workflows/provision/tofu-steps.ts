import type { DeploymentBlueprint, PreviousDeployment } from '../../activities/store/deployments.js';
import type { Saga } from '../lib/saga.js';
import type { ProvisionActivities } from './activities.js';
import type { StepContext } from './step-context.js';

export interface TofuStepsContext extends StepContext {
  a: ProvisionActivities;
}

/** The saga's steps on the terraform pool before the apply: the plan, and the undo of an update. */
export function tofuSteps(ctx: TofuStepsContext) {
  const { a, input, deploymentId, stack } = ctx;
  const { environment } = input;
  return {
    /**
     * Synthesizes and plans the version (`recorded`: the planning record is written already). Runs from
     * FEWER_ROUND_TRIPS on do both in one activity, whose undo names the workspace by the deployment: it
     * may fail after preparing, before returning it.
     */
    async planned(saga: Saga, bp: DeploymentBlueprint, recorded: boolean) {
      const prepare = {
        deploymentId,
        blueprintId: bp.blueprintId,
        blueprintVersion: bp.version,
        environment,
        stack,
        ...(input.variables ? { variables: input.variables } : {}),
      };
      if (!recorded) await ctx.record('planning', 'synthesizing the configuration', { version: bp.version });
      if (ctx.together) {
        saga.add('clean workspace', () =>
          a.undoTofu.cleanupWorkspace({ deployment: { deploymentId, stack, environment } }),
        );
        return a.tofu.planDeployment(prepare);
      }
      // Preparing only writes rows and artifacts; what needs cleaning up exists once it returned.
      const workspace = await a.tofu.prepareWorkspace(prepare);
      saga.add('clean workspace', () => a.undoTofu.cleanupWorkspace({ workspace }));
      await ctx.note('planning', 'planning');
      return { workspace, plan: await a.tofu.planWorkspace({ workspace }) };
    },

    /** The undo of an update: plan and apply the previous version, with its variables, in a workspace of its own. */
    async reapply(previous: PreviousDeployment): Promise<void> {
      const workspace = await a.undoTofu.prepareWorkspace({
        deploymentId: `${deploymentId}-restore`,
        blueprintId: previous.blueprintId ?? input.blueprintId,
        blueprintVersion: previous.version,
        environment,
        stack,
        ...(previous.variables ? { variables: previous.variables } : {}),
      });
      const plan = await a.undoTofu.planWorkspace({ workspace });
      await a.undoTofu.applyPlan({ workspace, plan: { planRef: plan.planRef, planHash: plan.planHash } });
      await a.undoTofu.cleanupWorkspace({ workspace });
    },
  };
}
