import type { WorkflowClient, WorkflowHandle } from '@temporalio/client';
import { alertSignal, REMEDIATION_WORKFLOW_TYPE } from '../../workflows/remediation/contract.js';
import type { remediation } from '../../workflows/remediation/workflow.js';
import { incidentWorkflowId, type NormalizedAlert } from './alert.js';

/**
 * Hands one alert to the remediation workflow of its fingerprint: starts it, or signals the one already
 * running (USE_EXISTING), so repeats of an alert never open a second incident. Resolves once Temporal has
 * durably accepted the start or the signal.
 */
export function deliverAlert(
  workflows: WorkflowClient,
  alert: NormalizedAlert,
  taskQueue: string,
): Promise<WorkflowHandle<typeof remediation>> {
  return workflows.signalWithStart<typeof remediation, [NormalizedAlert]>(REMEDIATION_WORKFLOW_TYPE, {
    workflowId: incidentWorkflowId(alert.fingerprint),
    taskQueue,
    args: [{ fingerprint: alert.fingerprint }],
    signal: alertSignal,
    signalArgs: [alert],
    workflowIdConflictPolicy: 'USE_EXISTING',
  });
}
