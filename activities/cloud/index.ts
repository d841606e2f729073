import type { ActivityDeps } from '../deps.js';
import { pingActivity } from '../ping.js';
import { createProbeActivities } from './probes.js';

/** Activities of the cloud pool: provider calls and probes. */
export function createCloudActivities(deps: ActivityDeps) {
  return { ping: pingActivity('cloud'), ...createProbeActivities(deps) };
}
