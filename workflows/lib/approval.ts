import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import { can, isRole, type Role } from '../../lib/auth/roles.js';
import type { createNotifyActivities } from '../../activities/notify/index.js';
import type { createStoreActivities } from '../../activities/store/index.js';
import { CONTROL_ACTIVITY_OPTIONS } from './activity-options.js';
import {
  APPROVAL_REFUSALS,
  approvalStatusQuery,
  approveUpdate,
  rejectUpdate,
  type ApprovalDecisionInput,
  type ApprovalOutcome,
  type ApprovalStatus,
} from './approval-contract.js';
import { poolActivities } from './pool-activities.js';

/** Defaults of APPROVAL_TIMEOUT / APPROVAL_ESCALATE_BEFORE; callers pass the configured values in. */
export const DEFAULT_APPROVAL_TIMEOUT = '24h';
export const DEFAULT_APPROVAL_ESCALATE_BEFORE = '1h';

export interface ApprovalRequest {
  requester: string;
  environment: string;
  /** What is being changed (audit target), e.g. `web:production`. */
  target: string;
  changeHash: string;
  summary: string;
  /** Shown to the approver (e.g. policy warnings). */
  warnings?: string[];
  /** A duration such as '24h' (or milliseconds). */
  timeout?: string | number;
  /** How long before the timeout the escalation notification goes out. */
  escalateBefore?: string | number;
  /**
   * Only a decider holding at least one of these roles may approve (e.g. `['admin']` for a run over
   * budget); rejecting stays open to every approver. Absent: any role with the approve permission.
   */
  requiredRoles?: Role[];
  /** Why the roles are required, shown in the refusal (e.g. `over budget`). */
  requiredRolesReason?: string;
}

export interface ApprovalGate {
  /** Asks for a decision and waits for it: approved, rejected, or expired after the timeout. */
  request(request: ApprovalRequest): Promise<ApprovalOutcome>;
  /**
   * The same, but the request is withdrawn (no decision is taken any more) as soon as `stop()` holds,
   * e.g. when the alert a remediation waits to fix has resolved by itself.
   */
  requestUnless(request: ApprovalRequest, stop: () => boolean): Promise<ApprovalOutcome | WithdrawnApproval>;
  status(): ApprovalStatus;
}

export interface WithdrawnApproval {
  decision: 'withdrawn';
  changeHash: string;
  decidedAt: string;
}

type Kind = 'approve' | 'reject';

function refuse(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** Checks the shape of a decision sent as plain JSON (the Temporal UI sends whatever is typed). */
function parseDecision(input: unknown): ApprovalDecisionInput {
  const invalid = (field: string, expected: string) =>
    refuse(APPROVAL_REFUSALS.invalid, `${field}: expected ${expected}`);
  if (typeof input !== 'object' || input === null)
    invalid('argument', 'an object {approver, roles, changeHash, reason?}');
  const value = input as Record<string, unknown>;
  if (typeof value.approver !== 'string' || value.approver.trim() === '')
    invalid('approver', 'a non-empty string');
  if (!Array.isArray(value.roles) || !value.roles.every(isRole)) {
    invalid('roles', 'an array of admin, operator, approver, viewer');
  }
  if (typeof value.changeHash !== 'string' || value.changeHash === '')
    invalid('changeHash', 'a non-empty string');
  if (
    value.environments !== undefined &&
    !(Array.isArray(value.environments) && value.environments.every((e) => typeof e === 'string'))
  ) {
    invalid('environments', 'an array of environment names');
  }
  if (value.reason !== undefined && typeof value.reason !== 'string') invalid('reason', 'a string');
  return value as unknown as ApprovalDecisionInput;
}

/**
 * The approval gate. Create it once at the start of the workflow: it installs the `approve` / `reject`
 * updates and the `approvalStatus` query. Their validators run before anything reaches history, so a
 * refused decision (wrong role or environment, requester approving their own change, stale change
 * hash, nothing pending) leaves no trace in the run. Decisions are kept in history as update results
 * and appended to the audit log.
 */
export function createApprovalGate(): ApprovalGate {
  const { notify } = poolActivities<ReturnType<typeof createNotifyActivities>>(
    'orchestration',
    CONTROL_ACTIVITY_OPTIONS,
  );
  const { appendAudit } = poolActivities<ReturnType<typeof createStoreActivities>>(
    'orchestration',
    CONTROL_ACTIVITY_OPTIONS,
  );
  let status: ApprovalStatus = { state: 'not_requested', warnings: [], escalated: false };
  let outcome: ApprovalOutcome | undefined;

  const validate = (kind: Kind, raw: unknown): ApprovalDecisionInput => {
    const input = parseDecision(raw);
    if (status.state !== 'pending')
      refuse(APPROVAL_REFUSALS.conflict, `nothing to ${kind}: approval is ${status.state}`);
    if (!can(input.roles, 'runs:approve')) {
      refuse(APPROVAL_REFUSALS.forbidden, `${input.approver} needs the approver or admin role to ${kind}`);
    }
    // Only approving needs the required roles: a rejection (or the requester withdrawing) only stops a change.
    const required = status.requiredRoles;
    if (kind === 'approve' && required?.length && !required.some((role) => input.roles.includes(role))) {
      const why = status.requiredRolesReason ? ` (${status.requiredRolesReason})` : '';
      refuse(
        APPROVAL_REFUSALS.forbidden,
        `${input.approver} needs the ${required.join(' or ')} role to ${kind} this change${why}; has ${input.roles.join(', ') || 'no roles'}`,
      );
    }
    if (input.environments && !input.environments.includes(status.environment ?? '')) {
      refuse(
        APPROVAL_REFUSALS.forbidden,
        `${input.approver} may not decide for environment ${status.environment}`,
      );
    }
    if (kind === 'approve' && input.approver === status.requester) {
      refuse(
        APPROVAL_REFUSALS.forbidden,
        `${input.approver} requested this change and cannot approve it (four-eyes)`,
      );
    }
    if (input.changeHash !== status.changeHash) {
      refuse(
        APPROVAL_REFUSALS.conflict,
        `stale change hash ${input.changeHash}: the change is now ${status.changeHash}`,
      );
    }
    return input;
  };

  const decide = (kind: Kind, raw: ApprovalDecisionInput): ApprovalOutcome => {
    // Two decisions can pass their validators before either handler runs: the second one loses here.
    const input = validate(kind, raw);
    outcome = {
      decision: kind === 'approve' ? 'approved' : 'rejected',
      approver: input.approver,
      ...(input.reason ? { reason: input.reason } : {}),
      changeHash: input.changeHash,
      decidedAt: new Date().toISOString(),
    };
    status = { ...status, state: outcome.decision, outcome };
    return outcome;
  };

  setHandler(approveUpdate, (input) => decide('approve', input), {
    validator: (input) => void validate('approve', input),
  });
  setHandler(rejectUpdate, (input) => decide('reject', input), {
    validator: (input) => void validate('reject', input),
  });
  setHandler(approvalStatusQuery, () => status);

  const ask = async (
    request: ApprovalRequest,
    stop: () => boolean,
  ): Promise<ApprovalOutcome | WithdrawnApproval> => {
    const timeoutMs = msToNumber(request.timeout ?? DEFAULT_APPROVAL_TIMEOUT);
    const escalateBeforeMs = Math.min(
      timeoutMs,
      msToNumber(request.escalateBefore ?? DEFAULT_APPROVAL_ESCALATE_BEFORE),
    );
    const requestedAt = Date.now();
    outcome = undefined;
    status = {
      state: 'pending',
      requester: request.requester,
      environment: request.environment,
      changeHash: request.changeHash,
      summary: request.summary,
      warnings: request.warnings ?? [],
      requestedAt: new Date(requestedAt).toISOString(),
      expiresAt: new Date(requestedAt + timeoutMs).toISOString(),
      escalated: false,
      ...(request.requiredRoles?.length ? { requiredRoles: request.requiredRoles } : {}),
      ...(request.requiredRoles?.length && request.requiredRolesReason
        ? { requiredRolesReason: request.requiredRolesReason }
        : {}),
    };
    await appendAudit({
      actor: request.requester,
      action: 'approval.requested',
      target: request.target,
      details: {
        environment: request.environment,
        changeHash: request.changeHash,
        summary: request.summary,
        ...(status.requiredRoles ? { requiredRoles: status.requiredRoles } : {}),
      },
    });

    const decided = () => outcome !== undefined || stop();
    // A zero wait must not become a zero-length timer: just look at the state.
    const waitForDecision = async (ms: number) => (ms > 0 ? condition(decided, ms) : decided());
    // escalateBefore 0 means no reminder: the caller escalates an expired approval itself.
    if (!(await waitForDecision(timeoutMs - escalateBeforeMs)) && escalateBeforeMs > 0) {
      status = { ...status, escalated: true };
      const text = `Approval for ${request.target} (${request.summary}) by ${request.requester} expires at ${status.expiresAt}: please approve or reject.`;
      await notify({ kind: 'approval.escalated', text });
      await appendAudit({
        actor: 'dharma',
        action: 'approval.escalated',
        target: request.target,
        details: { expiresAt: status.expiresAt },
      });
    }
    if (!(await waitForDecision(requestedAt + timeoutMs - Date.now()))) {
      outcome = {
        decision: 'expired',
        changeHash: request.changeHash,
        decidedAt: new Date().toISOString(),
      };
      status = { ...status, state: 'expired', outcome };
    }
    if (outcome === undefined) {
      status = { ...status, state: 'withdrawn' };
      await appendAudit({
        actor: 'dharma',
        action: 'approval.withdrawn',
        target: request.target,
        details: { environment: request.environment, changeHash: request.changeHash },
      });
      return { decision: 'withdrawn', changeHash: request.changeHash, decidedAt: new Date().toISOString() };
    }
    const final = outcome;
    await appendAudit({
      actor: final.approver ?? 'dharma',
      action: `approval.${final.decision}`,
      target: request.target,
      decision: final.decision,
      ...(final.reason ? { reason: final.reason } : {}),
      details: {
        environment: request.environment,
        changeHash: final.changeHash,
        requester: request.requester,
      },
    });
    return final;
  };

  return {
    status: () => status,
    // A stop that never holds leaves only the three outcomes of a decision or its expiry.
    request: (request) => ask(request, () => false) as Promise<ApprovalOutcome>,
    requestUnless: ask,
  };
}
