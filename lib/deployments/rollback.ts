import { appendAudit } from '../db/audit.js';
import { DharmaError } from '../errors.js';
import {
  deploymentWorkflowId,
  type AccessContext,
  type ProvisionSettings,
} from '../../workflows/provision/contract.js';
import { latestCompletedDeployment, type DeploymentRecord } from './repository.js';
import { startDeployment, type DeploymentStarter, type StartedDeployment } from './start.js';

/** The stack has no completed deployment before the one to roll back: there is nothing to go back to. */
export class NoPreviousDeployment extends DharmaError {}

export interface RollbackRequest {
  /** The deployment to undo: its stack and environment go back to the completed deployment before it. */
  from: DeploymentRecord;
  requester: string;
  /** The requester's token context, for the saga's zero-trust re-check before apply. */
  requesterAccess?: AccessContext;
  settings: ProvisionSettings;
  /** Why, in the person's (or playbook's) words: audit log and the DeploymentStarted event. */
  note?: string;
  /** Go ahead without approval where no gate asks for one (the saga's gates still apply). */
  autoApply?: boolean;
  /** Makes the run's id (see rollbackWorkflowId); with `reuse`, the same id finds the run already started. */
  unique: string;
  reuse: boolean;
}

export interface StartedRollback extends StartedDeployment {
  /** The version the stack had before `from`, which the new run deploys. */
  toVersion: string;
}

/** Workflow id of a rollback run of a stack: the stack's, not a blueprint's, so it is known before the target. */
export function rollbackWorkflowId(stack: string, environment: string, unique: string): string {
  return deploymentWorkflowId(stack, environment, `rollback-${unique.slice(0, 12)}`);
}

/**
 * Starts the rollback of `from`: a provision run of the version the stack had before it, with that
 * deployment's variables, through the whole saga (plan, guardrails, approval where required, apply),
 * and records it in the audit log once per run id. Used by the API and the stack.rollback playbook action.
 */
export async function startRollback(
  starter: DeploymentStarter,
  request: RollbackRequest,
): Promise<StartedRollback> {
  const { from } = request;
  const previous = await latestCompletedDeployment(starter.db, from.stack, from.environment, {
    excludeId: from.id,
    ...(from.completedAt ? { before: from.completedAt } : {}),
  });
  if (!previous) {
    throw new NoPreviousDeployment(
      `stack ${from.stack} in ${from.environment} has no deployment before ${from.id} (version ${from.version})`,
    );
  }
  const started = await startDeployment(
    starter,
    {
      blueprintId: previous.blueprintId,
      version: previous.version,
      environment: from.environment,
      stack: from.stack,
      ...(previous.variables ? { variables: previous.variables } : {}),
      requester: request.requester,
      ...(request.requesterAccess ? { requesterAccess: request.requesterAccess } : {}),
      ...(request.autoApply ? { autoApply: true } : {}),
      reason: { kind: 'rollback', from: from.id, ...(request.note ? { note: request.note } : {}) },
      settings: request.settings,
    },
    {
      workflowId: rollbackWorkflowId(from.stack, from.environment, request.unique),
      reuse: request.reuse,
    },
  );
  await appendAudit(starter.db, {
    actor: request.requester,
    action: 'deployment.rollback',
    target: `${from.stack}:${from.environment}`,
    ...(request.note ? { reason: request.note } : {}),
    workflowId: started.deploymentId,
    runId: started.runId,
    details: { from: from.id, fromVersion: from.version, toVersion: previous.version },
    // A retry that finds the same rollback run again does not log it twice.
    dedupeKey: `deployment.rollback:${started.deploymentId}`,
  });
  return { ...started, toVersion: previous.version };
}
