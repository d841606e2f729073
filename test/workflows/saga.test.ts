import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { COMPENSATION_FAILED, type CompensationReport } from '../../workflows/lib/saga.js';
import { createFixtureActivities } from './fixtures/activities.js';
import { fixtureBundle } from './fixtures/bundle.js';
import { sagaFixture, type SagaFixtureInput } from './fixtures/workflows.js';

// Top level: `after` hooks registered by the harness inside a `before` hook would run at once.
const services = await testServices();
const client: Client = await testClient(services);
const taskQueue = `${uniquePrefix('saga')}-orchestration`;
const log: string[] = [];
await startTestWorker(services, {
  workflows: false,
  workflowBundle: await fixtureBundle(),
  taskQueue,
  activities: createFixtureActivities(log),
});

describe('saga', () => {
  async function run(input: SagaFixtureInput) {
    log.length = 0;
    return client.workflow.start(sagaFixture, { taskQueue, workflowId: uniquePrefix('saga'), args: [input] });
  }

  it('completes without compensating when every step succeeds', async () => {
    const handle = await run({ steps: ['a', 'b'] });
    assert.equal(await handle.result(), 'done');
    assert.deepEqual(log, ['do:a', 'do:b']);
  });

  it('on failure compensates in reverse order, including the failed step whose compensation was registered first', async () => {
    const handle = await run({ steps: ['a', 'b', 'c'], failStep: 'c' });
    const err = await handle.result().then(
      () => assert.fail('expected failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    // All compensations succeeded, so the original failure is rethrown unchanged.
    assert.ok(err.cause instanceof ActivityFailure);
    assert.ok(err.cause.cause instanceof ApplicationFailure);
    assert.equal(err.cause.cause.type, 'StepFailed');
    assert.deepEqual(log, ['do:a', 'do:b', 'do:c', 'undo:c#1', 'undo:b#1', 'undo:a#1']);
  });

  it('retries a failing compensation durably and surfaces one that keeps failing, without skipping the rest', async () => {
    const handle = await run({
      steps: ['a', 'b', 'c'],
      failStep: 'c',
      undo: { a: 'transient', b: 'broken' },
    });
    const err = await handle.result().then(
      () => assert.fail('expected failure'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    const failure = err.cause;
    assert.ok(failure instanceof ApplicationFailure);
    assert.equal(failure.type, COMPENSATION_FAILED);
    assert.match(failure.message, /step c failed/);
    assert.match(failure.message, /b \(.*cannot undo b/);
    const report = failure.details?.[0] as CompensationReport;
    assert.deepEqual(
      report.outcomes.map((o) => [o.step, o.status]),
      [
        ['c', 'compensated'],
        ['b', 'failed'],
        ['a', 'compensated'],
      ],
    );
    assert.equal(report.failed, 1);
    assert.equal(report.reason, 'failure');
    // The original error travels as the cause.
    assert.ok(failure.cause instanceof ActivityFailure);
    assert.equal((failure.cause.cause as ApplicationFailure).type, 'StepFailed');
    // b was retried to its limit, a succeeded on its third attempt.
    assert.deepEqual(
      log.filter((e) => e.startsWith('undo:')),
      ['undo:c#1', 'undo:b#1', 'undo:b#2', 'undo:b#3', 'undo:b#4', 'undo:a#1', 'undo:a#2', 'undo:a#3'],
    );
    // The failed compensation is in history.
    const history = await handle.fetchHistory();
    const failedActivities = (history.events ?? []).filter((e) => e.activityTaskFailedEventAttributes);
    assert.ok(
      failedActivities.some((e) =>
        /cannot undo b/.test(e.activityTaskFailedEventAttributes?.failure?.message ?? ''),
      ),
    );
  });

  it('compensates in a non-cancellable scope when the workflow is cancelled', async () => {
    const handle = await run({ steps: ['a', 'b'], waitForCancel: true });
    await waitFor(() => log.includes('do:b'));
    await handle.cancel();
    const err = await handle.result().then(
      () => assert.fail('expected cancellation'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof CancelledFailure, `expected a cancellation, got ${String(err.cause)}`);
    assert.deepEqual(log, ['do:a', 'do:b', 'undo:b#1', 'undo:a#1']);
    const description = await handle.describe();
    assert.equal(description.status.name, 'CANCELLED');
  });
});

async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
