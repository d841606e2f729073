import { ActivityCancellationType, type ActivityOptions } from '@temporalio/common';

/**
 * Timeouts and retries of the terraform pool's activities, by kind. Pure data: workflows import it
 * (activities/ is off limits to workflow code except for types).
 *
 * Long-running kinds heartbeat while tofu runs: a worker that dies is noticed within heartbeatTimeout,
 * and a cancellation reaches the activity at its next heartbeat (the SDK throttles heartbeats to 80% of
 * heartbeatTimeout, hence a short one). Only failures classified transient (state lock held, backend
 * unreachable) are retried; the rest are non-retryable ApplicationFailures.
 */
/**
 * A cancelled workflow waits until tofu has actually stopped (SIGINT, state written, lock released)
 * before its compensation runs; otherwise a destroy would race the interrupted apply for the state lock.
 */
const RUNS_TOFU = {
  heartbeatTimeout: '10s',
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
} as const;

const TRANSIENT_RETRY = {
  initialInterval: '2s',
  backoffCoefficient: 2,
  maximumInterval: '1m',
  maximumAttempts: 5,
} as const;

export const TERRAFORM_ACTIVITY_OPTIONS = {
  prepare: { startToCloseTimeout: '2m', retry: TRANSIENT_RETRY },
  plan: { startToCloseTimeout: '30m', ...RUNS_TOFU, retry: TRANSIENT_RETRY },
  // An apply interrupted half-way leaves its saved plan stale, so a retry after real changes fails
  // fast with StalePlan instead of applying anything twice.
  apply: { startToCloseTimeout: '2h', ...RUNS_TOFU, retry: TRANSIENT_RETRY },
  destroy: { startToCloseTimeout: '2h', ...RUNS_TOFU, retry: TRANSIENT_RETRY },
  drift: { startToCloseTimeout: '30m', ...RUNS_TOFU, retry: TRANSIENT_RETRY },
  cleanup: { startToCloseTimeout: '1m', retry: TRANSIENT_RETRY },
} as const satisfies Record<string, ActivityOptions>;

/** Non-retryable failure types the terraform activities throw (ApplicationFailure.type). */
export const TERRAFORM_FAILURES = {
  /** The saved plan no longer matches the state or its approved hash: plan again (and re-approve). */
  stalePlan: 'StalePlan',
  /** The blueprint (version) is missing or cannot be synthesized. */
  invalidBlueprint: 'InvalidBlueprint',
  /** tofu rejected the configuration (init, validation, missing variables). */
  tofuConfig: 'TofuConfigError',
  /** Apply failed for a reason other than a transient one (provider error mid-apply). */
  applyFailed: 'TofuApplyFailed',
  /** A stored artifact or workspace is missing or corrupt. */
  artifactMissing: 'ArtifactMissing',
  /** An artifact is over ARTIFACT_MAX_BYTES. */
  artifactTooLarge: 'ArtifactTooLarge',
} as const;

/** Retryable failure types (transient). */
export const TERRAFORM_TRANSIENT = {
  stateLocked: 'StateLocked',
  backendUnavailable: 'BackendUnavailable',
  tofuFailed: 'TofuFailed',
} as const;
