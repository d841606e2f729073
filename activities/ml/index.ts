import type { ActivityDeps } from '../deps.js';
import { pingActivity } from '../ping.js';

/** Activities of the ml pool (predictions and classifiers arrive with remediation). */
export function createMlActivities(_deps: ActivityDeps) {
  return { ping: pingActivity('ml') };
}
