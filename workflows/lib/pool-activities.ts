import {
  proxyActivities,
  workflowInfo,
  type ActivityInterfaceFor,
  type ActivityOptions,
} from '@temporalio/workflow';
import { siblingQueue, type PoolName } from '../../lib/pools.js';

/**
 * Typed activity proxies bound to a pool's task queue. The queue is derived from the workflow's own
 * queue (`<prefix>-orchestration` → `<prefix>-<pool>`), which is part of workflow info and so replays
 * deterministically. Call it inside the workflow function, not at module scope.
 */
export function poolActivities<A extends object>(
  pool: PoolName,
  options: ActivityOptions,
): ActivityInterfaceFor<A> {
  return proxyActivities<A>({ ...options, taskQueue: siblingQueue(workflowInfo().taskQueue, pool) });
}
