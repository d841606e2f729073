import {
  WorkflowExecutionAlreadyStartedError,
  type Client,
  type WorkflowIdConflictPolicy,
  type WorkflowIdReusePolicy,
} from '@temporalio/client';

export interface StartPolicies {
  workflowIdConflictPolicy: WorkflowIdConflictPolicy;
  workflowIdReusePolicy: WorkflowIdReusePolicy;
}

/**
 * Starts a run whose workflow id names one run only, and returns its run id. Started again after it
 * closed, a second run would have its writes and events (keyed on the workflow id) taken for the
 * first's, so a closed id is refused (WorkflowExecutionAlreadyStartedError). When the id was derived from
 * an idempotency key (`sameRequest`), a run found under it, running or closed, is the one this request
 * already started (a retry after an ambiguous failure): it is the answer.
 */
export async function startOnce(
  client: Client,
  sameRequest: boolean,
  workflowId: string,
  start: (policies: StartPolicies) => Promise<{ firstExecutionRunId: string }>,
): Promise<string> {
  try {
    const handle = await start({
      workflowIdConflictPolicy: sameRequest ? 'USE_EXISTING' : 'FAIL',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    return handle.firstExecutionRunId;
  } catch (error) {
    if (!sameRequest || !(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    return (await client.workflow.getHandle(workflowId).describe()).runId;
  }
}
