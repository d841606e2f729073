import type { ActivityOptions, LocalActivityOptions } from '@temporalio/workflow';

/**
 * Quick, idempotent control-plane calls (a write of the system of record, a signal to another workflow):
 * retried without limit, so a run waits out a PostgreSQL or Temporal restart instead of failing.
 */
export const CONTROL_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
} as const satisfies ActivityOptions;

/**
 * The same calls as local activities, run by the orchestration worker that runs the workflow, with no
 * round trip through the server each. Backoffs stay below localRetryThreshold, so a retry happens in the
 * worker under the same activity id, and the writes keyed on it stay idempotent.
 */
export const LOCAL_CONTROL_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '30s' },
  localRetryThreshold: '1m',
} as const satisfies LocalActivityOptions;

/** Domain resilience defaults for calls to a target or a notification endpoint: 3 attempts, 1 s initial, doubling. */
export const RESILIENCE_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumAttempts: 3,
} as const satisfies ActivityOptions['retry'];
