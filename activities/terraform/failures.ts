import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ArtifactCorrupt, ArtifactNotFound, ArtifactTooLarge } from '../../lib/artifacts/store.js';
import { WorkspaceNotFound } from '../../lib/artifacts/workspaces.js';
import { BlueprintInvalid, BlueprintNotFound } from '../../lib/blueprints/errors.js';
import { UnknownVariable } from '../../lib/iac/synthesize.js';
import { TERRAFORM_FAILURES, TERRAFORM_TRANSIENT } from '../../lib/tofu/activity-options.js';
import { TofuFailed, TofuInterrupted } from '../../lib/tofu/runner.js';

const STALE = /saved plan is stale|plan file can no longer be applied/i;
const LOCKED = /state lock|error acquiring the state lock|lock.*held/i;
const UNREACHABLE =
  /connection refused|could not connect|dial tcp|i\/o timeout|no such host|too many clients|the database system is (starting|shutting) down|connection reset/i;
/** Summaries of configuration errors tofu finds only while planning (validate does not see them). */
const PLAN_CONFIG = /no value for required variable|invalid value for (input )?variable/i;

export function invalidInput(field: string, expected: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${field}: expected ${expected}`, 'InvalidInput');
}

export function stalePlan(message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.nonRetryable(
    message,
    TERRAFORM_FAILURES.stalePlan,
    ...(details ? [details] : []),
  );
}

/**
 * The failure a terraform activity reports for `error`: non-retryable for what a retry cannot fix (a
 * stale plan, a bad blueprint or configuration, a failed apply), retryable for transient causes.
 * `details` (e.g. the log's ref) travel with the failure.
 */
export function toActivityFailure(error: unknown, details?: Record<string, unknown>): unknown {
  const extra = details ? [details] : [];
  if (error instanceof TofuInterrupted) {
    const signal = Context.current().cancellationSignal;
    // Cancelled by the workflow: report the cancellation itself, so Temporal records the activity as
    // cancelled rather than failed.
    if (signal.aborted) return signal.reason as unknown;
    return ApplicationFailure.retryable(error.message, TERRAFORM_TRANSIENT.tofuFailed, ...extra);
  }
  if (error instanceof TofuFailed) {
    const withDiagnostics = [{ ...details, diagnostics: error.diagnostics }];
    if (error.mentions(STALE)) {
      return ApplicationFailure.nonRetryable(error.message, TERRAFORM_FAILURES.stalePlan, ...withDiagnostics);
    }
    if (error.mentions(LOCKED)) {
      return ApplicationFailure.retryable(error.message, TERRAFORM_TRANSIENT.stateLocked, ...withDiagnostics);
    }
    if (error.mentions(UNREACHABLE)) {
      return ApplicationFailure.retryable(
        error.message,
        TERRAFORM_TRANSIENT.backendUnavailable,
        ...withDiagnostics,
      );
    }
    if (error.command === 'init' || error.command === 'validate' || error.mentions(PLAN_CONFIG)) {
      return ApplicationFailure.nonRetryable(
        error.message,
        TERRAFORM_FAILURES.tofuConfig,
        ...withDiagnostics,
      );
    }
    if (error.command === 'apply') {
      return ApplicationFailure.nonRetryable(
        error.message,
        TERRAFORM_FAILURES.applyFailed,
        ...withDiagnostics,
      );
    }
    return ApplicationFailure.retryable(error.message, TERRAFORM_TRANSIENT.tofuFailed, ...withDiagnostics);
  }
  if (
    error instanceof BlueprintNotFound ||
    error instanceof BlueprintInvalid ||
    error instanceof UnknownVariable
  ) {
    return ApplicationFailure.nonRetryable(error.message, TERRAFORM_FAILURES.invalidBlueprint, ...extra);
  }
  if (
    error instanceof ArtifactNotFound ||
    error instanceof ArtifactCorrupt ||
    error instanceof WorkspaceNotFound
  ) {
    return ApplicationFailure.nonRetryable(error.message, TERRAFORM_FAILURES.artifactMissing, ...extra);
  }
  if (error instanceof ArtifactTooLarge) {
    return ApplicationFailure.nonRetryable(error.message, TERRAFORM_FAILURES.artifactTooLarge, ...extra);
  }
  return error;
}
