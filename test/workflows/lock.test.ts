import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { createLockActivities } from '../../activities/lock/index.js';
import { lockPositionQuery, lockStateQuery, lockWorkflowId } from '../../workflows/lib/lock-contract.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { createFixtureActivities } from './fixtures/activities.js';
import { fixtureBundle } from './fixtures/bundle.js';
import {
  failingLockFixture,
  goSignal,
  lockFixture,
  undoingLockFixture,
  type LockFixtureInput,
} from './fixtures/workflows.js';

// Top level: `after` hooks registered by the harness inside a `before` hook would run at once.
const services = await testServices();
const client: Client = await testClient(services);
const taskQueue = `${uniquePrefix('lock')}-orchestration`;
const log: string[] = [];
await startTestWorker(services, {
  workflows: false,
  workflowBundle: await fixtureBundle(),
  taskQueue,
  activities: { ...createFixtureActivities(log), ...createLockActivities({ temporal: client }) },
});

function contender(key: string, name: string, extra: Partial<LockFixtureInput> = {}) {
  return client.workflow.start(lockFixture, {
    taskQueue,
    workflowId: `${key}-${name}`,
    args: [{ key, name, ...extra }],
  });
}

async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined && accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function lockHandle(key: string) {
  return client.workflow.getHandle(lockWorkflowId(key));
}

async function positionOf(key: string, workflowId: string): Promise<number | undefined> {
  const position = await lockHandle(key).query(lockPositionQuery, workflowId);
  return position?.position;
}

async function waitForPosition(key: string, handle: WorkflowHandle, position: number): Promise<void> {
  await eventually(
    () => positionOf(key, handle.workflowId),
    (p) => p === position,
  );
}

describe('per-resource lock', () => {
  it('grants the lock in FIFO order and shows every waiter its position', async () => {
    const key = uniquePrefix('fifo');
    const a = await contender(key, 'a');
    await waitForPosition(key, a, 0);
    const b = await contender(key, 'b');
    await waitForPosition(key, b, 1);
    const c = await contender(key, 'c');
    await waitForPosition(key, c, 2);

    const state = await lockHandle(key).query(lockStateQuery);
    assert.equal(state.holder?.workflowId, a.workflowId);
    assert.deepEqual(
      state.queue.map((w) => w.workflowId),
      [b.workflowId, c.workflowId],
    );

    await a.signal(goSignal);
    await a.result();
    await waitForPosition(key, b, 0);
    assert.equal(await positionOf(key, c.workflowId), 1);
    await b.signal(goSignal);
    await waitForPosition(key, c, 0);
    await c.signal(goSignal);
    await Promise.all([b.result(), c.result()]);

    const mine = log.filter((e) => e.startsWith('a:') || e.startsWith('b:') || e.startsWith('c:'));
    assert.deepEqual(mine, [
      'a:acquired',
      'a:released',
      'b:acquired',
      'b:released',
      'c:acquired',
      'c:released',
    ]);
    // Nobody holds or waits: the lock workflow finishes.
    await lockHandle(key).result();
  });

  it('keeps a renewing holder past its lease, and frees the lock when the holder dies', async () => {
    const key = uniquePrefix('lease');
    const a = await contender(key, 'a', { lease: '3s' });
    await waitForPosition(key, a, 0);
    const b = await contender(key, 'b', { lease: '3s' });
    await waitForPosition(key, b, 1);
    // Twice the lease: the live holder renews, so it keeps the lock.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    assert.equal(await positionOf(key, a.workflowId), 0);

    await a.terminate('simulated dead holder');
    const started = Date.now();
    await waitForPosition(key, b, 0);
    assert.ok(Date.now() - started < 6000, 'the lease of the dead holder expires within about one lease');
    await b.signal(goSignal);
    await b.result();
  });

  it('releases the lock when the holder fails', async () => {
    const key = uniquePrefix('fail');
    const failing = await client.workflow.start(failingLockFixture, {
      taskQueue,
      workflowId: `${key}-failing`,
      args: [{ key, name: 'failing' }],
    });
    await assert.rejects(failing.result());
    const next = await contender(key, 'next');
    await waitForPosition(key, next, 0);
    await next.signal(goSignal);
    await next.result();
  });

  it('releases the lock when the holder is cancelled, and withdraws a cancelled waiter from the queue', async () => {
    const key = uniquePrefix('cancel');
    const a = await contender(key, 'a');
    await waitForPosition(key, a, 0);
    const b = await contender(key, 'b');
    await waitForPosition(key, b, 1);
    const c = await contender(key, 'c');
    await waitForPosition(key, c, 2);

    await b.cancel();
    await assert.rejects(b.result());
    await waitForPosition(key, c, 1);
    await a.cancel();
    await assert.rejects(a.result());
    await waitForPosition(key, c, 0);
    await c.signal(goSignal);
    await c.result();
  });

  it('keeps renewing the lock of a cancelled holder while it undoes its work, past its lease', async () => {
    const key = uniquePrefix('undo');
    const holder = await client.workflow.start(undoingLockFixture, {
      taskQueue,
      workflowId: `${key}-holder`,
      args: [{ key, name: `${key}-holder`, lease: '3s' }],
    });
    await waitForPosition(key, holder, 0);
    await holder.cancel();
    const next = await contender(key, 'next', { lease: '3s' });
    await waitForPosition(key, next, 1);
    // Twice the lease: the undo is still running, so the lock is still the cancelled holder's.
    await new Promise((resolve) => setTimeout(resolve, 6000));
    assert.equal(await positionOf(key, holder.workflowId), 0);
    assert.ok(!log.includes(`${key}-holder:undone`));

    await holder.signal(goSignal);
    await assert.rejects(holder.result());
    assert.ok(log.includes(`${key}-holder:undone`));
    await waitForPosition(key, next, 0);
    await next.signal(goSignal);
    await next.result();
  });

  it('continues as new before the history grows large and carries the holder and queue over', async () => {
    const key = uniquePrefix('can');
    const options = { lease: '3s', maxHistoryEvents: 30 };
    const a = await contender(key, 'a', options);
    await waitForPosition(key, a, 0);
    const b = await contender(key, 'b', options);
    // Queue order is arrival order of the requests: let b's arrive before c starts.
    await waitForPosition(key, b, 1);
    const c = await contender(key, 'c', options);
    await waitForPosition(key, c, 2);
    const firstRun = (await lockHandle(key).describe()).runId;

    // Renewals (every 1.5 s) grow the history until the lock workflow continues as new.
    await eventually(
      async () => (await lockHandle(key).describe()).runId,
      (runId) => runId !== firstRun,
      30_000,
    );
    const state = await lockHandle(key).query(lockStateQuery);
    assert.equal(state.holder?.workflowId, a.workflowId);
    assert.deepEqual(
      state.queue.map((w) => w.workflowId),
      [b.workflowId, c.workflowId],
    );

    await a.signal(goSignal);
    await waitForPosition(key, b, 0);
    await b.signal(goSignal);
    await waitForPosition(key, c, 0);
    await c.signal(goSignal);
    await Promise.all([a.result(), b.result(), c.result()]);
  });
});
