import { ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { createCloudActivities } from '../../activities/cloud/index.js';
import type { createNotifyActivities } from '../../activities/notify/index.js';
import type { createStoreActivities } from '../../activities/store/index.js';
import { CONTROL_ACTIVITY_OPTIONS, RESILIENCE_RETRY } from '../lib/activity-options.js';
import { createApprovalGate } from '../lib/approval.js';
import type { ApprovalOutcome } from '../lib/approval-contract.js';
import { changeHash } from '../lib/change-hash.js';
import { withLock } from '../lib/lock.js';
import { poolActivities } from '../lib/pool-activities.js';
import { trackProgress } from '../lib/progress.js';
import { COMPENSATION_ACTIVITY_OPTIONS, withSaga } from '../lib/saga.js';
import {
  INVALID_CHANGE_REQUEST,
  type ChangeCheck,
  type ChangeCheckResult,
  type ChangeRequestInput,
  type ChangeRequestResult,
} from './contract.js';

/** A probe gets 5 s plus slack per attempt. */
const PROBE_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '15s',
  retry: RESILIENCE_RETRY,
} as const satisfies ActivityOptions;

/**
 * A generic gated change to a target: hash the change, take the `${target}:${environment}` lock, get
 * approval (production, or when asked), run the reachability checks, and audit every step. A failure or
 * cancellation after the change was recorded runs the saga's compensations before the lock is released.
 */
export async function changeRequest(input: ChangeRequestInput): Promise<ChangeRequestResult> {
  const report = trackProgress('validating', 'validating input');
  const gate = createApprovalGate();
  try {
    validateInput(input);
  } catch (err) {
    report('failed', 'invalid input');
    throw err;
  }

  const { appendAudit } = poolActivities<ReturnType<typeof createStoreActivities>>(
    'orchestration',
    CONTROL_ACTIVITY_OPTIONS,
  );
  const undo = poolActivities<
    ReturnType<typeof createStoreActivities> & ReturnType<typeof createNotifyActivities>
  >('orchestration', COMPENSATION_ACTIVITY_OPTIONS);
  const { httpCheck, tcpCheck } = poolActivities<ReturnType<typeof createCloudActivities>>(
    'cloud',
    PROBE_ACTIVITY_OPTIONS,
  );

  const hash = changeHash(input.change);
  const lockKey = `${input.target}:${input.environment}`;
  const needsApproval = input.environment === 'production' || input.approval?.required === true;
  const finish = (
    status: ChangeRequestResult['status'],
    checks: ChangeCheckResult[],
    approval?: ApprovalOutcome,
  ) => ({
    status,
    changeHash: hash,
    lockKey,
    ...(approval ? { approval } : {}),
    checks,
    finishedAt: new Date().toISOString(),
  });

  report('queued', `waiting for lock ${lockKey}`);
  return withSaga(
    (saga) =>
      withLock(
        lockKey,
        async () => {
          await saga.step(
            'record change',
            async () => {
              await undo.appendAudit({
                actor: 'dharma',
                action: 'change.rolled_back',
                target: lockKey,
                details: { changeHash: hash },
              });
              await undo.notify({
                kind: 'change.rolled_back',
                text: `Change to ${lockKey} (${input.summary}) was rolled back.`,
              });
            },
            () =>
              appendAudit({
                actor: input.requester,
                action: 'change.requested',
                target: lockKey,
                details: { changeHash: hash, summary: input.summary, change: input.change },
              }),
          );

          let approval: ApprovalOutcome | undefined;
          if (needsApproval) {
            report('awaiting_approval', `waiting for an approver (change ${hash})`);
            approval = await gate.request({
              requester: input.requester,
              environment: input.environment,
              target: lockKey,
              changeHash: hash,
              summary: input.summary,
              ...(input.approval?.timeout ? { timeout: input.approval.timeout } : {}),
              ...(input.approval?.escalateBefore ? { escalateBefore: input.approval.escalateBefore } : {}),
            });
            if (approval.decision !== 'approved') {
              report(approval.decision, `approval ${approval.decision}`);
              return finish(approval.decision, [], approval);
            }
          }

          const checks: ChangeCheckResult[] = [];
          for (const [index, check] of (input.checks ?? []).entries()) {
            report('verifying', `check ${index + 1}/${input.checks!.length}: ${describeCheck(check)}`);
            checks.push(check.kind === 'http' ? await httpCheck(check) : await tcpCheck(check));
          }
          await appendAudit({
            actor: approval?.approver ?? input.requester,
            action: 'change.completed',
            target: lockKey,
            details: { changeHash: hash, checks: checks.length },
          });
          report('completed', 'change completed');
          return finish('completed', checks, approval);
        },
        {
          ...(input.lockLease ? { lease: input.lockLease } : {}),
          onQueued: () => report('queued', `queued for lock ${lockKey}`),
        },
      ),
    {
      onCompensated: (outcome) =>
        report(
          outcome.failed === 0 ? 'rolled_back' : 'failed',
          `${outcome.reason}: ${outcome.outcomes.length} compensation(s) ran`,
        ),
    },
  );
}

function describeCheck(check: ChangeCheck): string {
  return check.kind === 'http' ? `GET ${check.url}` : `TCP ${check.host}:${check.port}`;
}

function invalid(field: string, expected: string): never {
  throw ApplicationFailure.create({
    type: INVALID_CHANGE_REQUEST,
    message: `${field}: expected ${expected}`,
    nonRetryable: true,
  });
}

function validateInput(input: ChangeRequestInput): void {
  const text = (value: unknown) => typeof value === 'string' && value.trim() !== '';
  if (typeof input !== 'object' || input === null) invalid('input', 'an object');
  for (const field of ['target', 'environment', 'summary', 'requester'] as const) {
    if (!text(input[field])) invalid(field, 'a non-empty string');
  }
  if (typeof input.change !== 'object' || input.change === null || Array.isArray(input.change))
    invalid('change', 'an object');
  for (const field of ['timeout', 'escalateBefore'] as const) {
    const value = input.approval?.[field];
    if (value !== undefined && !isDuration(value))
      invalid(`approval.${field}`, 'a duration such as 30s, 15m, 24h');
  }
  if (input.lockLease !== undefined && !isDuration(input.lockLease))
    invalid('lockLease', 'a duration such as 30m, 1h');
  if (input.checks !== undefined && !Array.isArray(input.checks)) invalid('checks', 'an array');
  (input.checks ?? []).forEach((check: ChangeCheck, i) => {
    if (check?.kind === 'http') {
      if (typeof check.url !== 'string' || !/^https?:\/\/\S+$/.test(check.url))
        invalid(`checks[${i}].url`, 'an http(s) URL');
      if (
        check.expectStatus !== undefined &&
        !(Number.isInteger(check.expectStatus) && check.expectStatus >= 100 && check.expectStatus <= 599)
      ) {
        invalid(`checks[${i}].expectStatus`, 'an HTTP status code (100-599)');
      }
    } else if (check?.kind === 'tcp') {
      if (!text(check.host)) invalid(`checks[${i}].host`, 'a host name');
      if (!(Number.isInteger(check.port) && check.port > 0 && check.port < 65536))
        invalid(`checks[${i}].port`, 'a port (1-65535)');
    } else {
      invalid(`checks[${i}].kind`, '"http" or "tcp"');
    }
  });
}

function isDuration(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    return msToNumber(value as Parameters<typeof msToNumber>[0]) > 0;
  } catch {
    return false;
  }
}
