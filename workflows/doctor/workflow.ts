import { ActivityFailure, ApplicationFailure, TimeoutFailure, workflowInfo } from '@temporalio/workflow';
import type { pingActivity } from '../../activities/ping.js';
import { isPoolName, POOLS, siblingQueue, type PoolName } from '../../lib/pools.js';
import { poolActivities } from '../lib/pool-activities.js';
import { trackProgress } from '../lib/progress.js';
import {
  DEFAULT_DOCTOR_TIMEOUT_SECONDS,
  type DoctorInput,
  type DoctorResult,
  type PoolHealth,
} from './contract.js';

type PingActivities = { ping: ReturnType<typeof pingActivity> };

/**
 * A ping is a probe: one attempt, and a queue nobody polls fails fast on schedule-to-start instead of
 * waiting forever, so a missing pool shows as not ok.
 */
function pingOptions(timeoutSeconds: number) {
  return {
    scheduleToStartTimeout: `${timeoutSeconds}s`,
    startToCloseTimeout: `${timeoutSeconds}s`,
    retry: { maximumAttempts: 1 },
  } as const;
}

function describeFailure(error: unknown, taskQueue: string, timeoutSeconds: number): string {
  const cause = error instanceof ActivityFailure ? error.cause : error;
  if (cause instanceof TimeoutFailure && cause.timeoutType === 'SCHEDULE_TO_START') {
    return `no worker polled ${taskQueue} within ${timeoutSeconds}s`;
  }
  return cause instanceof Error ? cause.message : String(cause);
}

/** Diagnostic: pings every pool in parallel and reports who answered, from where, and how fast. */
export async function doctor(input: DoctorInput = {}): Promise<DoctorResult> {
  const pools: PoolName[] = input.pools && input.pools.length > 0 ? input.pools : [...POOLS];
  const unknown = pools.filter((pool) => !isPoolName(pool));
  if (unknown.length > 0) {
    throw ApplicationFailure.nonRetryable(
      `pools: expected names among ${POOLS.join(', ')}, got ${unknown.join(', ')}`,
      'InvalidInput',
    );
  }
  const timeoutSeconds = input.timeoutSeconds ?? DEFAULT_DOCTOR_TIMEOUT_SECONDS;
  if (!(timeoutSeconds > 0)) {
    throw ApplicationFailure.nonRetryable(
      `timeoutSeconds: expected a positive number, got ${timeoutSeconds}`,
      'InvalidInput',
    );
  }
  const answered: PoolHealth[] = [];
  const report = trackProgress('running', `pinging ${pools.join(', ')}`, 0);

  const check = async (pool: PoolName): Promise<PoolHealth> => {
    const taskQueue = siblingQueue(workflowInfo().taskQueue, pool);
    // Date.now() in a workflow is the time of the current workflow task, recorded in history: replay-safe.
    const start = Date.now();
    let health: PoolHealth;
    try {
      const pong = await poolActivities<PingActivities>(pool, pingOptions(timeoutSeconds)).ping();
      health = {
        pool,
        taskQueue,
        ok: true,
        version: pong.version,
        host: pong.host,
        pid: pong.pid,
        latencyMs: Date.now() - start,
      };
    } catch (error) {
      health = { pool, taskQueue, ok: false, error: describeFailure(error, taskQueue, timeoutSeconds) };
    }
    answered.push(health);
    report('running', `${answered.length} of ${pools.length} pools answered`, answered.length / pools.length);
    return health;
  };

  const result = { pools: await Promise.all(pools.map(check)) };
  const down = result.pools.filter((p) => !p.ok).map((p) => p.pool);
  report('completed', down.length === 0 ? 'all pools answered' : `not answering: ${down.join(', ')}`, 1);
  return result;
}
