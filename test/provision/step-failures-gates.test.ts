import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { WorkflowHandle } from '@temporalio/client';
import type { DestroyOutcome } from '../../activities/terraform/contract.js';
import { ACCESS_DENIED } from '../../activities/trust/access-recheck.js';
import { setBudget } from '../../lib/cost/budget.js';
import {
  approvalStatusQuery,
  progressQuery,
  PROVISION_FAILURES,
  rejectUpdate,
} from '../../workflows/provision/contract.js';
import type { provision } from '../../workflows/provision/workflow.js';
import { until } from '../api/api-fixture.js';
import { onCleanup } from '../harness/cleanup.js';
import { activityResults, assertNothingLeft, failureType } from './nothing-left.js';
import { PRICED_LOCALLY, provisionFixture } from './provision-fixture.js';

/**
 * The saga's promise at its gates (issue 4): a run stopped by the budget, an approver, the approval
 * timeout, the zero-trust re-check or a cancellation leaves no file, no state, no lock, no reservation.
 * terraform_data is priced (PRICED_LOCALLY) so the budget gate can be tripped by a local stack.
 */
const fx = await provisionFixture({ priceTable: PRICED_LOCALLY });
const dir = await mkdtemp(path.join(tmpdir(), 'dharma-step-failures-'));
onCleanup(() => rm(dir, { recursive: true, force: true }));

/**
 * A priced marker and a file on disk: what a failed run must never leave. With `pause`, the file waits for
 * a time_sleep, so the apply is still running when a test cancels it.
 */
async function fileStack(pause?: string) {
  const filename = path.join(dir, `${randomUUID()}.txt`);
  const blueprintId = await fx.blueprint({
    provider: 'local',
    region: 'local',
    resources: [
      { type: 'terraform_data', name: 'marker', properties: { input: 'priced' } },
      ...(pause ? [{ type: 'time_sleep', name: 'pause', properties: { create_duration: pause } }] : []),
      {
        type: 'dharma_file',
        name: 'note',
        properties: { filename, content: 'written by the run\n' },
        ...(pause ? { dependsOn: ['pause'] } : {}),
      },
    ],
    outputs: { file: { value: '${dharma_file.note.filename}' } },
  });
  const leftovers = async () => ({
    files: await access(filename).then(
      () => 1,
      () => 0,
    ),
  });
  return { blueprintId, leftovers };
}

type Start = Parameters<typeof fx.start>[0];

/** Starts a run of a fresh file stack and waits until it asks for an approval. */
async function pendingRun(input: Omit<Start, 'blueprintId'>) {
  const stack = await fileStack();
  const handle = await fx.start({ blueprintId: stack.blueprintId, ...input });
  const status = await until(
    () => handle.query(approvalStatusQuery),
    (s) => s.state === 'pending',
    120_000,
  );
  return { ...stack, handle, changeHash: status.changeHash!, status };
}

function nothingLeft(
  run: {
    handle: WorkflowHandle<typeof provision>;
    blueprintId: string;
    leftovers: () => Promise<Record<string, number>>;
  },
  environment: string,
) {
  return assertNothingLeft(fx, {
    handle: run.handle,
    stack: run.blueprintId,
    environment,
    state: 'failed',
    leftovers: run.leftovers,
  });
}

describe('a provision stopped at a gate leaves nothing behind', () => {
  it('budget: over budget and the admin rejects; the reservation held while waiting is released', async () => {
    const environment = `budget-${randomUUID().slice(0, 8)}`;
    await setBudget(fx.db, { environment, monthlyLimit: 5, currency: 'USD' });
    const run = await pendingRun({ environment, autoApply: true });
    assert.deepEqual(run.status.requiredRoles, ['admin']);
    const held = await fx.db.query('SELECT state, amount FROM budget_reservations WHERE id = $1', [
      run.handle.workflowId,
    ]);
    assert.deepEqual(held.rows[0], { state: 'reserved', amount: '7.30' }, 'the gate holds the money');

    await run.handle.executeUpdate(rejectUpdate, {
      args: [{ approver: 'carol', roles: ['admin'], changeHash: run.changeHash, reason: 'not this month' }],
    });
    const failure = await nothingLeft(run, environment);
    assert.equal(failureType(failure), PROVISION_FAILURES.notApproved);
    assert.match(failure.message, /approval rejected by carol: not this month/);
  });

  it('approval: a production run an approver rejects', async () => {
    const run = await pendingRun({ environment: 'production', autoApply: true });
    await run.handle.executeUpdate(rejectUpdate, {
      args: [{ approver: 'bob', roles: ['approver'], changeHash: run.changeHash }],
    });
    const failure = await nothingLeft(run, 'production');
    assert.match(failure.message, /approval rejected by bob/);
  });

  it('approval: a run nobody decides on expires after the configured approval timeout', async () => {
    const run = await pendingRun({ environment: 'staging', settings: { approvalTimeout: '2s' } });
    const failure = await nothingLeft(run, 'staging');
    assert.equal(failureType(failure), PROVISION_FAILURES.notApproved);
    assert.match(failure.message, /approval expired/);
  });

  it('zero-trust: a requester whose claims score below the threshold at apply time is refused', async () => {
    const stack = await fileStack();
    const handle = await fx.start({
      blueprintId: stack.blueprintId,
      environment: 'dev',
      autoApply: true,
      // Unknown device, no MFA, no recent login, no history: a score far below the ALLOW bands.
      requesterAccess: { subject: 'alice', roles: ['operator'], mfa: false, history: 0 },
    });
    const failure = await nothingLeft({ ...stack, handle }, 'dev');
    assert.equal(failureType(failure), ACCESS_DENIED);
    assert.match(failure.message, /refused requester alice \(DENY\) before apply/);
  });

  it('cancellation: a run cancelled while it waits for its approval', async () => {
    const run = await pendingRun({ environment: 'production', autoApply: true });
    await run.handle.cancel();
    const failure = await nothingLeft(run, 'production');
    assert.equal(failureType(failure), 'Cancelled');
  });

  it('cancellation: a run cancelled in the middle of its apply stops tofu and destroys what it created', async () => {
    const stack = await fileStack('60s');
    const handle = await fx.start({ blueprintId: stack.blueprintId, environment: 'dev', autoApply: true });
    await until(
      () => handle.query(progressQuery),
      (p) => p.step.startsWith('applying plan'),
      120_000,
    );
    // Let tofu create the marker and start sleeping before the cancellation reaches it.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const cancelledAt = Date.now();
    await handle.cancel();
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: stack.blueprintId,
      environment: 'dev',
      state: 'rolled_back',
      leftovers: stack.leftovers,
    });
    assert.equal(failureType(failure), 'Cancelled');
    assert.ok(Date.now() - cancelledAt < 45_000, 'tofu was interrupted, not waited for');
    assert.deepEqual(
      (await activityResults(handle, 'destroyWorkspace')).map((r) => (r as DestroyOutcome).destroyed),
      [['terraform_data.marker']],
      'the compensation destroyed the marker the interrupted apply had created',
    );
  });
});
