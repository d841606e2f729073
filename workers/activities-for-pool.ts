import type { ActivityDeps } from '../activities/deps.js';
import { createCloudActivities } from '../activities/cloud/index.js';
import { createControlActivities } from '../activities/control/index.js';
import { createEventsActivities } from '../activities/events/index.js';
import { createLockActivities } from '../activities/lock/index.js';
import { createMlActivities } from '../activities/ml/index.js';
import { createNotifyActivities } from '../activities/notify/index.js';
import { createStoreActivities } from '../activities/store/index.js';
import { createTerraformActivities } from '../activities/terraform/index.js';
import { createTrustActivities } from '../activities/trust/index.js';
import { createDriftScheduleActivities } from '../activities/control/drift-schedules.js';
import { createStackRollbackActivities } from '../activities/control/stack-rollback.js';
import { createHealthCheckActivities } from '../activities/cloud/health-checks.js';
import { createCostActivities } from '../activities/store/cost.js';
import { createDeploymentActivities } from '../activities/store/deployments.js';
import { createFinishDeploymentActivities } from '../activities/store/finish-deployment.js';
import { createIncidentActivities } from '../activities/store/incidents.js';
import { createRemediationStoreActivities } from '../activities/store/remediation.js';
import { createTopologyActivities } from '../activities/store/topology.js';
import { createAccessRecheckActivities } from '../activities/trust/access-recheck.js';
import { createPolicyActivities } from '../activities/trust/policy.js';
import type { PoolName } from '../lib/pools.js';

type Activities = Record<string, (...args: never[]) => Promise<unknown>>;

/** Which activity factories each pool hosts; orchestration also runs the workflows and the control plane. */
const FACTORIES: Record<PoolName, ReadonlyArray<(deps: ActivityDeps) => object>> = {
  orchestration: [
    createControlActivities,
    createStoreActivities,
    createEventsActivities,
    createNotifyActivities,
    createLockActivities,
    createDeploymentActivities,
    createFinishDeploymentActivities,
    createCostActivities,
    createTopologyActivities,
    createDriftScheduleActivities,
    createStackRollbackActivities,
    createIncidentActivities,
    createRemediationStoreActivities,
  ],
  terraform: [createTerraformActivities],
  cloud: [createCloudActivities, createHealthCheckActivities],
  trust: [createTrustActivities, createPolicyActivities, createAccessRecheckActivities],
  ml: [createMlActivities],
};

/**
 * The activities a pool's worker registers. Two factories of one pool exporting the same name would make
 * one silently shadow the other (workflows would call the wrong code), so that is an error.
 */
export function activitiesForPool(pool: PoolName, deps: ActivityDeps): Activities {
  const merged: Activities = {};
  for (const factory of FACTORIES[pool]) {
    for (const [name, fn] of Object.entries(factory(deps) as Activities)) {
      if (name in merged)
        throw new Error(`pool ${pool}: activity ${name} is defined by two factories (${factory.name})`);
      merged[name] = fn;
    }
  }
  return merged;
}
