import type { DeploymentBlueprint } from '../../activities/store/deployments.js';
import { runSteps } from '../lib/saga.js';
import type { ProvisionActivities } from './activities.js';
import type { StepContext } from './step-context.js';

export interface VersionsContext extends StepContext {
  store: ProvisionActivities['local'] | ProvisionActivities['store'];
}

/** The blueprint version a run deploys, and the deployment its stack runs now. */
export function deploymentVersions(ctx: VersionsContext) {
  const { store, input, deploymentId, stack } = ctx;
  const load = () =>
    store.loadDeploymentBlueprint({
      blueprintId: input.blueprintId,
      ...(input.version ? { version: input.version } : {}),
    });
  // Only under the lock: another deployment of the stack may complete while this one waits.
  const previousDeployment = () =>
    store.previousDeployment({ stack, environment: input.environment, excludeId: deploymentId });

  return {
    /** The version, loaded while the run still waits for the lock (from STEPS_BESIDE on). */
    load,

    /**
     * The version to deploy and what the stack runs now (restored if the run fails after apply). With
     * the version already `loading`, the planning record is written beside the look-up, and the caller
     * skips its own.
     */
    async resolve(loading: Promise<DeploymentBlueprint> | undefined) {
      if (!loading) {
        const [, bp, previous] = await runSteps(ctx.together, [
          () => ctx.record('validating', 'loading the blueprint version'),
          load,
          previousDeployment,
        ]);
        return { bp, previous };
      }
      const bp = await loading;
      await ctx.note('validating', 'loading the blueprint version');
      const [previous] = await Promise.all([
        previousDeployment(),
        ctx.record('planning', 'synthesizing the configuration', { version: bp.version }),
      ]);
      return { bp, previous };
    },
  };
}
