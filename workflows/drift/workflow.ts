import { ParentClosePolicy, startChild, uuid4, workflowInfo } from '@temporalio/workflow';
import { withLock } from '../lib/lock.js';
import { trackProgress } from '../lib/progress.js';
import { provisionActivities } from '../provision/activities.js';
import { deploymentWorkflowId, type ProvisionInput } from '../provision/contract.js';
import { provision } from '../provision/workflow.js';
import type { DriftCheckInput, DriftCheckResult } from './contract.js';

/**
 * Compares a deployed stack with its real infrastructure (`plan -detailed-exitcode` of the deployed
 * version), under the stack lock so it never plans against a deployment half-way. Drift is a
 * DriftDetected event and, when the blueprint opts in, a provision run of the same version, which goes
 * through the usual guardrails and approval path.
 */
export async function driftCheck(input: DriftCheckInput): Promise<DriftCheckResult> {
  const report = trackProgress('queued', 'waiting for the stack lock');
  const { store, tofu, undoTofu } = provisionActivities();
  const { stack, environment } = input;
  const checkId = workflowInfo().workflowId;

  const result = await withLock(`${stack}:${environment}`, async (): Promise<DriftCheckResult> => {
    report('running', 'finding the deployed version');
    const deployed = await store.previousDeployment({ stack, environment, excludeId: checkId });
    if (!deployed) return { status: 'not_deployed' };
    report('running', `planning version ${deployed.version} against the real infrastructure`);
    const workspace = await tofu.prepareWorkspace({
      deploymentId: `${checkId}-${workflowInfo().runId}`,
      blueprintId: input.blueprintId,
      blueprintVersion: deployed.version,
      environment,
      stack,
      ...(deployed.variables ? { variables: deployed.variables } : {}),
    });
    try {
      const drift = await tofu.detectDrift({ workspace });
      const base = {
        deploymentId: deployed.id,
        version: deployed.version,
        ...(deployed.variables ? { variables: deployed.variables } : {}),
      };
      if (!drift.drifted) return { status: 'in_sync', ...base };
      await store.publishEvent({
        eventType: 'DriftDetected',
        aggregateId: `${stack}:${environment}`,
        aggregateType: 'Stack',
        data: {
          ...base,
          blueprintId: input.blueprintId,
          summary: drift.summary,
          planJsonRef: drift.planJsonRef,
        },
      });
      return {
        status: 'drifted',
        ...base,
        drift: { summary: drift.summary, planJsonRef: drift.planJsonRef },
      };
    } finally {
      await undoTofu.cleanupWorkspace({ workspace });
    }
  });

  if (result.status === 'drifted' && input.reconcile && result.version) {
    report('reconciling', `starting a provision of version ${result.version}`);
    const reconcile: ProvisionInput = {
      blueprintId: input.blueprintId,
      version: result.version,
      environment,
      stack,
      ...(result.variables ? { variables: result.variables } : {}),
      requester: input.requester,
      reason: { kind: 'reconcile', from: result.deploymentId },
      settings: input.settings,
    };
    // Abandoned: the reconcile run may wait days for an approval, long after this check is done.
    const child = await startChild(provision, {
      workflowId: deploymentWorkflowId(input.blueprintId, environment, `reconcile-${uuid4().slice(0, 8)}`),
      args: [reconcile],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
    report('completed', `drift found; reconcile run ${child.workflowId} started`);
    return { ...result, reconcileWorkflowId: child.workflowId };
  }
  report('completed', result.status === 'drifted' ? 'drift found' : result.status.replace('_', ' '));
  return result;
}
