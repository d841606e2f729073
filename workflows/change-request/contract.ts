import type { ApprovalOutcome } from '../lib/approval-contract.js';

export { approveUpdate, rejectUpdate, approvalStatusQuery } from '../lib/approval-contract.js';
export { progressQuery } from '../lib/progress.js';

export const CHANGE_REQUEST_WORKFLOW_TYPE = 'changeRequest';

export type ChangeCheck =
  { kind: 'http'; url: string; expectStatus?: number } | { kind: 'tcp'; host: string; port: number };

export interface ChangeRequestInput {
  /** What is changed, e.g. a stack or service name; locked together with the environment. */
  target: string;
  environment: string;
  summary: string;
  requester: string;
  change: Record<string, unknown>;
  /**
   * Approval is required in `production` or when `required` is true. `timeout` / `escalateBefore` are
   * durations such as `24h` / `1h`; the API fills them from APPROVAL_TIMEOUT / APPROVAL_ESCALATE_BEFORE.
   */
  approval?: { required?: boolean; timeout?: string; escalateBefore?: string };
  /** Lease of the `${target}:${environment}` lock (default LOCK_LEASE, 1h), renewed while the run lives. */
  lockLease?: string;
  /** Reachability checks run (on the cloud pool) once the change is approved. */
  checks?: ChangeCheck[];
}

export interface ChangeCheckResult {
  kind: 'http' | 'tcp';
  target: string;
  latencyMs: number;
  detail: string;
}

export interface ChangeRequestResult {
  status: 'completed' | 'rejected' | 'expired';
  changeHash: string;
  lockKey: string;
  /** Absent when no approval was required. */
  approval?: ApprovalOutcome;
  checks: ChangeCheckResult[];
  finishedAt: string;
}

/** Failure type when the input is malformed; the message names the field and what was expected. */
export const INVALID_CHANGE_REQUEST = 'InvalidChangeRequest';
