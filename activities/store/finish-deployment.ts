import type { ActivityDeps } from '../deps.js';
import type { CleanupInput } from '../terraform/contract.js';
import type { TopologySnapshot } from '../../lib/topology/store.js';
import { createCostActivities } from './cost.js';
import { createDeploymentActivities, type DeploymentProgress } from './deployments.js';
import { createTopologyActivities } from './topology.js';

export interface FinishDeploymentInput {
  topology: TopologySnapshot;
  /** The budget reservation to commit (the deployment id). */
  reservationId: string;
  workspace: CleanupInput;
  /** The deployment recorded completed, with its DeploymentCompleted event. */
  completed: DeploymentProgress;
}

/**
 * The last writes of a verified deployment as one local activity of the provision saga (one round
 * through the workflow instead of two): topology, budget commit and workspace clean-up together, then
 * the completed record, so a run is never reported completed before the rest is in place. Each part is
 * idempotent, so a retry of the whole is too.
 */
export function createFinishDeploymentActivities(deps: ActivityDeps) {
  const topology = createTopologyActivities(deps);
  const cost = createCostActivities(deps);
  const deployments = createDeploymentActivities(deps);
  return {
    async finishDeployment(input: FinishDeploymentInput): Promise<void> {
      await Promise.all([
        topology.registerTopology(input.topology),
        cost.commitDeploymentBudget(input.reservationId),
        deployments.cleanupDeploymentWorkspace(input.workspace),
      ]);
      await deployments.recordProgress(input.completed);
    },
  };
}
