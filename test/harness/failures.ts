import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';

/**
 * The ApplicationFailure an activity raised, from a workflow run that failed because of it (workflow
 * failure → activity failure → application failure). Fails the test when the run succeeds.
 */
export async function activityFailureOf(run: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await run.then(
    () => assert.fail('the activity should have failed'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError, String(error));
  const cause = error.cause?.cause;
  assert.ok(cause instanceof ApplicationFailure, String(cause));
  return cause;
}

/**
 * The ApplicationFailure a rejected promise carries: thrown by an activity called directly, or the
 * activity's own failure from a workflow run that failed because of it.
 */
export async function applicationFailureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  const cause = error instanceof WorkflowFailedError ? error.cause?.cause : error;
  assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(error)}`);
  return cause;
}

/** Like applicationFailureOf, and the failure must be non-retryable (and of `type`, when given). */
export async function nonRetryableFailureOf(
  promise: Promise<unknown>,
  type?: string,
): Promise<ApplicationFailure> {
  const failure = await applicationFailureOf(promise);
  if (type !== undefined) assert.equal(failure.type, type, failure.message);
  assert.equal(failure.nonRetryable, true, failure.message);
  return failure;
}
