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
