import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Role } from '../../lib/auth/roles.js';

/**
 * Messages of the approval gate, shared by every workflow that embeds it. The API, the CLI and the
 * Temporal UI ("send update" with the JSON below as argument) all use these names and shapes.
 */
export interface ApprovalDecisionInput {
  /** Who decides (user id / subject). */
  approver: string;
  /** The decider's roles; approving needs `approver` or `admin`. */
  roles: Role[];
  /** Environments the approver may approve for; absent means all. */
  environments?: string[];
  /** Hash of the change being approved; a stale hash is refused. */
  changeHash: string;
  reason?: string;
}

/** `withdrawn`: the workflow stopped waiting before anyone decided (what it waited for went away). */
export type ApprovalState = 'not_requested' | 'pending' | 'approved' | 'rejected' | 'expired' | 'withdrawn';

export interface ApprovalOutcome {
  decision: 'approved' | 'rejected' | 'expired';
  approver?: string;
  reason?: string;
  changeHash: string;
  decidedAt: string;
}

export interface ApprovalStatus {
  state: ApprovalState;
  requester?: string;
  environment?: string;
  changeHash?: string;
  summary?: string;
  warnings: string[];
  requestedAt?: string;
  expiresAt?: string;
  escalated: boolean;
  /** Only a decider with one of these roles may approve (e.g. admin for a run over budget). */
  requiredRoles?: Role[];
  requiredRolesReason?: string;
  outcome?: ApprovalOutcome;
}

export const approveUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecisionInput]>('approve');
export const rejectUpdate = defineUpdate<ApprovalOutcome, [ApprovalDecisionInput]>('reject');
export const approvalStatusQuery = defineQuery<ApprovalStatus>('approvalStatus');

/**
 * Failure types of refused decisions (the update validator's error type), so the API can answer
 * 400 / 403 / 409 without parsing messages. Refused decisions are never written to history.
 */
export const APPROVAL_REFUSALS = {
  /** The argument is not a valid ApprovalDecisionInput (names the field). */
  invalid: 'InvalidDecision',
  /** Missing role, environment not allowed, or the requester deciding on their own change. */
  forbidden: 'ApprovalForbidden',
  /** Nothing pending, already decided, or a stale change hash. */
  conflict: 'ApprovalConflict',
} as const;
