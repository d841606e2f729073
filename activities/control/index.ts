import type { ActivityDeps } from '../deps.js';
import { pingActivity } from '../ping.js';

/**
 * Activities the orchestration pool answers itself (next to the store and events factories), so
 * `doctor` checks the workflow pool's queue the same way as the others.
 */
export function createControlActivities(_deps: ActivityDeps) {
  return { ping: pingActivity('orchestration') };
}
