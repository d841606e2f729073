import type pg from 'pg';
import type { Queryable } from '../db/pool.js';
import { siblingQueue, type PoolName } from '../pools.js';

/**
 * The desired extra worker processes per task queue (table worker_replicas, migration 0080), shared by
 * scaleWorkerPool, which changes them, and the `npm start` supervisor, which runs them.
 */

/** Channel the worker_replicas trigger notifies (payload: the task queue) at commit. */
export const REPLICAS_CHANNEL = 'dharma_worker_replicas';

// Session-level advisory lock (two int4 keys) held by the supervisor that runs an installation's
// replicas: one supervisor per installation, and a scale request can see whether anyone would act on it.
const LOCK_CLASS = 0x44484152;
const LOCK_OBJECT = `(hashtext($1) & 2147483647)`;

/** An installation is named by its orchestration queue (`<prefix>-orchestration`): one lock per prefix. */
function installation(queue: string): string {
  return siblingQueue(queue, 'orchestration');
}

/** Takes the supervisor lock of the installation of `queue` on this session; false when another holds it. */
export async function tryLockSupervisor(db: Queryable, queue: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_lock(${LOCK_CLASS}, ${LOCK_OBJECT}) AS locked`,
    [installation(queue)],
  );
  return rows[0]?.locked === true;
}

/** Whether a supervisor that runs the replicas of `queue`'s installation is connected to this database. */
export async function supervisorRunning(db: Queryable, queue: string): Promise<boolean> {
  const { rows } = await db.query<{ running: boolean }>(
    `SELECT EXISTS (
       SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = ${LOCK_CLASS}::oid AND objid = ${LOCK_OBJECT}::oid
     ) AS running`,
    [installation(queue)],
  );
  return rows[0]?.running === true;
}

/** Desired extra replicas of each of `queues` (0 when never scaled). */
export async function desiredReplicas(
  db: Queryable,
  queues: readonly string[],
): Promise<Map<string, number>> {
  const { rows } = await db.query<{ task_queue: string; extra: number }>(
    'SELECT task_queue, extra FROM worker_replicas WHERE task_queue = ANY($1::text[])',
    [queues],
  );
  const desired = new Map(queues.map((queue) => [queue, 0]));
  for (const row of rows) desired.set(row.task_queue, row.extra);
  return desired;
}

export interface ScaleChange {
  before: number;
  after: number;
  /** False when the request key had been applied before (a retry): nothing changed now. */
  applied: boolean;
}

/** The outcome of a scale request, or why it may not be applied (nothing is written then). */
export type ScaleOutcome = ScaleChange | { refused: string };

/**
 * Applies `delta` to the queue's extra replicas once per `requestKey`, within [0, max], and only while a
 * supervisor would act on it. The row lock serialises concurrent requests; the request row makes a
 * repeat return the first outcome (also after the supervisor went away).
 */
export async function applyScaleRequest(
  db: Pick<pg.Pool, 'connect'>,
  request: { requestKey: string; taskQueue: string; pool: PoolName; delta: number; max: number },
): Promise<ScaleOutcome> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO worker_replicas (task_queue, pool, extra) VALUES ($1, $2, 0) ON CONFLICT (task_queue) DO NOTHING`,
      [request.taskQueue, request.pool],
    );
    const current = (
      await client.query<{ extra: number }>(
        'SELECT extra FROM worker_replicas WHERE task_queue = $1 FOR UPDATE',
        [request.taskQueue],
      )
    ).rows[0]!.extra;
    const earlier = (
      await client.query<{ extra_before: number; extra_after: number }>(
        'SELECT extra_before, extra_after FROM worker_scale_requests WHERE request_key = $1',
        [request.requestKey],
      )
    ).rows[0];
    if (earlier) {
      await client.query('COMMIT');
      return { before: earlier.extra_before, after: earlier.extra_after, applied: false };
    }
    if (!(await supervisorRunning(client, request.taskQueue))) {
      await client.query('ROLLBACK');
      return {
        refused:
          `no \`npm start\` supervisor runs the worker replicas of ${request.taskQueue}; scale this pool ` +
          'with the orchestrator that runs its workers (docker compose, Kubernetes)',
      };
    }
    const after = current + request.delta;
    // Shrinking is always allowed, also when WORKER_MAX_REPLICAS was lowered below the current count.
    const refusal =
      request.delta > 0 && after > request.max
        ? `${request.pool} has ${current} extra replica(s); adding ${request.delta} would make ${after}, ` +
          `above WORKER_MAX_REPLICAS (${request.max})`
        : after < 0
          ? `${request.pool} has ${current} extra replica(s); cannot remove ${-request.delta}`
          : undefined;
    if (refusal) {
      await client.query('ROLLBACK');
      return { refused: refusal };
    }
    await client.query('UPDATE worker_replicas SET extra = $2, updated_at = now() WHERE task_queue = $1', [
      request.taskQueue,
      after,
    ]);
    await client.query(
      `INSERT INTO worker_scale_requests (request_key, task_queue, delta, extra_before, extra_after)
       VALUES ($1, $2, $3, $4, $5)`,
      [request.requestKey, request.taskQueue, request.delta, current, after],
    );
    await client.query('COMMIT');
    return { before: current, after, applied: true };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
