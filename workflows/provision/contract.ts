import { defineQuery } from '@temporalio/workflow';
import type { AccessContext, PartyDecision } from '../../activities/trust/access-recheck.js';
import type { CostSummary } from '../../activities/store/cost.js';
import type { HealthCheckResult } from '../../activities/cloud/health-checks.js';
import type { ChangeRiskScore } from '../../activities/ml/index.js';
import type { PlanSummary } from '../../activities/terraform/contract.js';
import type { DeploymentState } from '../../lib/deployments/repository.js';
import type { Violation } from '../../lib/policy/types.js';
import type { ApprovalOutcome } from '../lib/approval-contract.js';

export { approveUpdate, rejectUpdate, approvalStatusQuery } from '../lib/approval-contract.js';
export { progressQuery } from '../lib/progress.js';
export type { AccessContext } from '../../activities/trust/access-recheck.js';

export const PROVISION_WORKFLOW_TYPE = 'provision';

/** Workflow id of a deployment: `deploy-<blueprint>-<environment>-<unique>`. */
export function deploymentWorkflowId(blueprintId: string, environment: string, unique: string): string {
  const part = (value: string) => value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 60);
  return `deploy-${part(blueprintId)}-${part(environment)}-${unique}`;
}

/** Settings the saga needs, read by whoever starts it (API, CLI, drift check): workflows read no environment. */
export interface ProvisionSettings {
  /** Environments whose deployments always wait for an approval (DEPLOY_APPROVAL_ENVIRONMENTS). */
  approvalEnvironments: string[];
  /** Drift check interval when the blueprint sets none (DRIFT_INTERVAL), e.g. 6h. */
  driftInterval: string;
  /** APPROVAL_TIMEOUT / APPROVAL_ESCALATE_BEFORE. */
  approvalTimeout?: string;
  approvalEscalateBefore?: string;
  /** LOCK_LEASE of the stack lock. */
  lockLease?: string;
}

export interface ProvisionInput {
  blueprintId: string;
  /** Default: the blueprint's latest version (resolved when the run validates, then fixed). */
  version?: string;
  environment: string;
  /** Names the state workspace and the lock together with the environment. Default: the blueprint id. */
  stack?: string;
  /** Non-secret variable values. */
  variables?: Record<string, unknown>;
  requester: string;
  /** The requester's zero-trust context (token claims), so a stale decision can be recomputed before apply. */
  requesterAccess?: AccessContext;
  /** Skip the approval where no gate asks for one (never in an approval environment). */
  autoApply?: boolean;
  /** Why the run exists; a rollback or reconcile names the deployment it comes from, `note` is the person's reason. */
  reason?: { kind: 'deploy' | 'rollback' | 'reconcile'; from?: string; note?: string };
  settings: ProvisionSettings;
}

export interface PolicySummary {
  warnings: Violation[];
}

export interface VerifyResult {
  outputs: string[];
  checks: HealthCheckResult[];
}

/** Everything the run has learnt so far: answered by deploymentQuery, mirrored into `deployments`. */
export interface DeploymentView {
  deploymentId: string;
  blueprintId: string;
  version?: string;
  environment: string;
  stack: string;
  state: DeploymentState;
  step: string;
  planHash?: string;
  planJsonRef?: string;
  plan?: PlanSummary;
  policy?: PolicySummary;
  cost?: CostSummary & { overBudget: boolean; monthlyLimit: number | null; projected: number };
  risk?: ChangeRiskScore;
  approvalRequired?: boolean;
  approval?: ApprovalOutcome;
  access?: PartyDecision[];
  outputs?: Record<string, unknown>;
  verify?: VerifyResult;
  failure?: string;
}

export interface ProvisionResult {
  deploymentId: string;
  status: 'completed' | 'unchanged';
  blueprintId: string;
  version: string;
  environment: string;
  stack: string;
  planHash: string;
  outputs: Record<string, unknown>;
  view: DeploymentView;
}

export const deploymentQuery = defineQuery<DeploymentView>('deployment');

/** Failure types the saga raises itself (besides the activities' PolicyDenied and AccessDenied). */
export const PROVISION_FAILURES = {
  invalid: 'InvalidProvisionInput',
  notApproved: 'DeploymentNotApproved',
  verifyFailed: 'VerifyFailed',
} as const;
