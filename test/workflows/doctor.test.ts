import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import type { ActivityDeps } from '../../activities/deps.js';
import { createLogger } from '../../lib/logger.js';
import { taskQueueFor, type ActivityPoolName, type PoolName } from '../../lib/pools.js';
import { activitiesForPool } from '../../workers/activities-for-pool.js';
import { dharmaVersion } from '../../lib/package-root.js';
import { doctor } from '../../workflows/doctor/workflow.js';
import { progressQuery } from '../../workflows/lib/progress.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';

const services = await testServices();
const client = await testClient(services);
const { db } = await freshDatabase(services);
const deps: ActivityDeps = { db, temporal: client, logger: createLogger('test', { level: 'warn' }), env: {} };

/** The orchestration pool (workflows + its activities) plus workers for the activity pools in `pools`. */
async function startPools(prefix: string, pools: ActivityPoolName[]): Promise<void> {
  await startTestWorker(services, {
    taskQueue: taskQueueFor('orchestration', prefix),
    activities: activitiesForPool('orchestration', deps),
  });
  for (const pool of pools) {
    await startTestWorker(services, {
      taskQueue: taskQueueFor(pool, prefix),
      workflows: false,
      activities: activitiesForPool(pool, deps),
    });
  }
}

describe('doctor workflow', () => {
  it('reports version, host, pid and latency of every pool when all workers run', async () => {
    const prefix = uniquePrefix('doctor');
    await startPools(prefix, ['terraform', 'cloud', 'trust', 'ml']);
    const handle = await client.workflow.start(doctor, {
      taskQueue: taskQueueFor('orchestration', prefix),
      workflowId: `${prefix}-doctor`,
      args: [{}],
    });
    const result = await handle.result();
    assert.deepEqual(
      result.pools.map((p) => [p.pool, p.taskQueue, p.ok]),
      (['orchestration', 'terraform', 'cloud', 'trust', 'ml'] as PoolName[]).map((pool) => [
        pool,
        taskQueueFor(pool, prefix),
        true,
      ]),
    );
    for (const pool of result.pools) {
      assert.equal(pool.version, `${dharmaVersion()} (node ${process.version})`);
      assert.equal(pool.host, hostname());
      assert.equal(pool.pid, process.pid);
      assert.ok(
        pool.latencyMs !== undefined && pool.latencyMs >= 0 && pool.latencyMs < 5000,
        `latency ${pool.latencyMs}`,
      );
    }
    const progress = await handle.query(progressQuery);
    assert.equal(progress.state, 'completed');
    assert.equal(progress.step, 'all pools answered');
  });

  it('marks a pool without a worker as not ok instead of hanging', async () => {
    const prefix = uniquePrefix('doctor');
    await startPools(prefix, ['terraform', 'cloud', 'trust']);
    const started = Date.now();
    const result = await client.workflow.execute(doctor, {
      taskQueue: taskQueueFor('orchestration', prefix),
      workflowId: `${prefix}-doctor`,
      args: [{ timeoutSeconds: 2 }],
    });
    assert.ok(Date.now() - started < 15_000);
    const ml = result.pools.find((p) => p.pool === 'ml');
    assert.deepEqual(ml, {
      pool: 'ml',
      taskQueue: taskQueueFor('ml', prefix),
      ok: false,
      error: `no worker polled ${taskQueueFor('ml', prefix)} within 2s`,
    });
    assert.ok(result.pools.filter((p) => p.pool !== 'ml').every((p) => p.ok));
  });

  it('checks only the pools asked for, and refuses unknown pool names', async () => {
    const prefix = uniquePrefix('doctor');
    await startPools(prefix, ['trust']);
    const result = await client.workflow.execute(doctor, {
      taskQueue: taskQueueFor('orchestration', prefix),
      workflowId: `${prefix}-doctor-trust`,
      args: [{ pools: ['trust'] }],
    });
    assert.deepEqual(
      result.pools.map((p) => [p.pool, p.ok]),
      [['trust', true]],
    );
    await assert.rejects(
      client.workflow.execute(doctor, {
        taskQueue: taskQueueFor('orchestration', prefix),
        workflowId: `${prefix}-doctor-bad`,
        args: [{ pools: ['gpu' as PoolName] }],
      }),
      (error: unknown) =>
        error instanceof WorkflowFailedError &&
        /pools: expected names among .*got gpu/.test(error.cause?.message ?? ''),
    );
  });
});
