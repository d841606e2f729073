import { Context } from '@temporalio/activity';
import { intSetting } from '../../../lib/config.js';
import { applyScaleRequest } from '../../../lib/platform/replica-store.js';
import { isPoolName, POOLS, siblingQueue } from '../../../lib/pools.js';
import type { ActivityDeps } from '../../deps.js';
import { activityOrigin } from '../../origin.js';
import { fields, invalidInput, refused } from './input.js';

export interface ScaleWorkerPoolInput {
  /** Worker pool: orchestration, terraform, cloud, trust or ml. */
  pool: string;
  /** Extra replicas to add (negative: remove). */
  by: number;
}

export interface ScaleWorkerPoolResult {
  pool: string;
  taskQueue: string;
  /** Extra worker processes (beside the supervisor's own worker) asked for before and after this request. */
  before: number;
  after: number;
  /** WORKER_MAX_REPLICAS on this worker. */
  max: number;
  /** False when this request had already been applied (a retry): it changed nothing now. */
  applied: boolean;
}

const ACTIVITY = 'scaleWorkerPool';
/** Sanity bound of one step; the real bound is WORKER_MAX_REPLICAS against the current count. */
const MAX_STEP = 1000;

/**
 * Grows or shrinks a local worker pool: changes the desired number of extra `dharma worker --pool <pool>`
 * processes of this installation (its task queue prefix) in PostgreSQL, which the `npm start` supervisor
 * runs. Bounded by WORKER_MAX_REPLICAS; refused when no supervisor is connected to act on it. Applied once
 * per workflow step: a retry returns the first outcome instead of applying `by` again.
 */
export function createWorkerScaleActions(deps: Pick<ActivityDeps, 'db' | 'env'>) {
  return {
    async scaleWorkerPool(input: ScaleWorkerPoolInput): Promise<ScaleWorkerPoolResult> {
      const f = fields(ACTIVITY, input);
      const pool = f.string('pool');
      if (!isPoolName(pool)) invalidInput(ACTIVITY, 'pool', `one of ${POOLS.join(', ')}`, pool);
      const max = intSetting('WORKER_MAX_REPLICAS', deps.env);
      const by = f.int('by', -MAX_STEP, MAX_STEP);
      if (by === 0) invalidInput(ACTIVITY, 'by', 'a non-zero integer', by);
      // The pool of the same installation as this worker: its own queue names the prefix.
      const taskQueue = siblingQueue(Context.current().info.taskQueue, pool);
      const outcome = await applyScaleRequest(deps.db, {
        requestKey: activityOrigin().key,
        taskQueue,
        pool,
        delta: by,
        max,
      });
      if ('refused' in outcome) refused(ACTIVITY, outcome.refused);
      return { pool, taskQueue, ...outcome, max };
    },
  };
}
