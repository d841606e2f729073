import type { ActivityDeps } from '../deps.js';
import { createAwsActions } from './aws/index.js';
import { pingActivity } from '../ping.js';
import { createProbeActivities } from './probes.js';
import { createRemediationActions } from './remediation/index.js';

/** Activities of the cloud pool: provider calls, probes and local remediation actions. */
export function createCloudActivities(deps: ActivityDeps) {
  return {
    ping: pingActivity('cloud'),
    ...createProbeActivities(deps),
    ...createRemediationActions(deps),
    ...createAwsActions(deps),
  };
}
