import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { ApplyOutcome, PlanOutcome, PreparedWorkspace } from '../../activities/terraform/contract.js';
import { TOFU_INTERRUPT_GRACE_MS } from '../../lib/tofu/runner.js';
import { terraformFixture } from './terraform-fixture.js';

const fx = await terraformFixture();

const sleeper = await fx.blueprint({
  name: `sleeper-${randomUUID().slice(0, 8)}`,
  provider: 'local',
  region: 'local',
  variables: { duration: { type: 'string', default: '1s' } },
  resources: [
    { type: 'time_sleep', name: 'wait', properties: { create_duration: '${var.duration}' } },
    { type: 'time_static', name: 'after', dependsOn: ['wait'] },
  ],
  outputs: { after: { value: '${time_static.after.rfc3339}' } },
});

async function planned(duration: string): Promise<{ ws: PreparedWorkspace; plan: PlanOutcome }> {
  const ws = await fx.prepare(sleeper, { variables: { duration } });
  const { result: plan } = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
  return { ws, plan };
}

/** Advisory locks held in the test database: the pg backend's state lock is one. */
async function advisoryLocks(): Promise<number> {
  const { rows } = await fx.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_locks
      WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return rows[0]?.n ?? 0;
}

async function until(condition: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('terraform activities under cancellation and concurrency', () => {
  it('a cancelled apply stops tofu with SIGINT, releases the state lock, and the next plan works', async () => {
    const { ws, plan } = await planned('30s');
    const handle = await fx.start('applyPlan', { workspace: ws, plan });
    await until(async () => (await advisoryLocks()) > 0, 'the apply to take the state lock');
    await sleep(1_000);

    const cancelledAt = Date.now();
    await handle.cancel();
    const error = await handle.result().then(
      () => assert.fail('a cancelled apply must not complete'),
      (e: unknown) => e,
    );
    const stoppedAfter = Date.now() - cancelledAt;
    assert.ok(error instanceof WorkflowFailedError && error.cause instanceof CancelledFailure, String(error));
    // The workflow waits for the activity to acknowledge (WAIT_CANCELLATION_COMPLETED), so it ends only
    // once tofu exited: sooner than the 30 s sleep, and sooner than the kill that follows SIGINT's grace.
    assert.ok(stoppedAfter < TOFU_INTERRUPT_GRACE_MS, `stopped ${stoppedAfter} ms after the cancel`);
    assert.equal(await advisoryLocks(), 0, 'the state lock is released');

    const started = Date.now();
    const { result: next } = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    assert.ok(Date.now() - started < 15_000, 'the plan did not wait for a lock');
    assert.deepEqual(next.summary.resources.map((r) => `${r.action} ${r.address}`).sort(), [
      'create time_sleep.wait',
      'create time_static.after',
    ]);
    await fx.run('destroyWorkspace', { workspace: ws });
  });

  it('two workers share the state: a plan on the second (no warm providers) waits for the first one’s apply and sees it', async () => {
    const second = await fx.addWorker();
    const { ws, plan } = await planned('6s');
    const apply = await fx.start('applyPlan', { workspace: ws, plan });
    await until(async () => (await advisoryLocks()) > 0, 'the apply to take the state lock');

    const planOnSecond = await fx.start('planWorkspace', { workspace: ws }, second);
    const applied = (await apply.result()) as ApplyOutcome;
    const replanned = (await planOnSecond.result()) as PlanOutcome;
    const [applyClosed, planClosed] = await Promise.all([apply.describe(), planOnSecond.describe()]);
    assert.ok(planClosed.closeTime! >= applyClosed.closeTime!, 'the plan waited for the state lock');
    assert.equal(replanned.hasChanges, false, 'the second worker sees the first one’s state');
    assert.deepEqual(applied.resources.map((r) => r.address).sort(), [
      'time_sleep.wait',
      'time_static.after',
    ]);

    const { result: destroyed } = await fx.run<{ destroyed: string[] }>(
      'destroyWorkspace',
      { workspace: ws },
      second,
    );
    assert.equal(destroyed.destroyed.length, 2);
  });
});
