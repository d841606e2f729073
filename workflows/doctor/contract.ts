import type { PoolName } from '../../lib/pools.js';

export const DOCTOR_WORKFLOW = 'doctor';
export const DEFAULT_DOCTOR_TIMEOUT_SECONDS = 5;

export interface DoctorInput {
  /** Pools to check; default all. */
  pools?: PoolName[];
  /** How long a pool's queue may go unanswered before it counts as down (default 5 s). */
  timeoutSeconds?: number;
}

export interface PoolHealth {
  pool: PoolName;
  taskQueue: string;
  ok: boolean;
  /** Dharma and Node version of the worker that answered. */
  version?: string;
  host?: string;
  pid?: number;
  /** Round trip from scheduling the ping to its result, in workflow time. */
  latencyMs?: number;
  error?: string;
}

export interface DoctorResult {
  pools: PoolHealth[];
}
