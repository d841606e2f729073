import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  log,
  type ActivityOptions,
} from '@temporalio/workflow';

/**
 * Options for compensation activities. Compensations must be idempotent activities: Temporal retries them
 * durably (across worker restarts) with this policy; only after the last attempt is the failure reported.
 */
export const COMPENSATION_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '2m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m', maximumAttempts: 6 },
} as const satisfies ActivityOptions;

export interface CompensationOutcome {
  step: string;
  status: 'compensated' | 'failed';
  /** Message of the final failure (after the activity's retries) when `status` is failed. */
  error?: string;
}

export interface CompensationReport {
  /** Why the saga unwound. */
  reason: 'failure' | 'cancellation';
  /** In the order they ran: the reverse of registration. */
  outcomes: CompensationOutcome[];
  failed: number;
}

/** Type of the failure thrown when at least one compensation failed; the original error is its cause. */
export const COMPENSATION_FAILED = 'CompensationFailed';

/**
 * Records undo actions for the steps of a workflow. Register a step's compensation *before* the step
 * runs: if the step fails half-way (or the worker dies after the side effect but before the result is
 * recorded) its compensation still runs, which is why compensations must be idempotent.
 */
export class Saga {
  private readonly compensations: Array<{ step: string; undo: () => Promise<unknown> }> = [];
  private compensated = false;

  /** Registers the compensation of `step`; call before running the step. */
  add(step: string, undo: () => Promise<unknown>): void {
    this.compensations.push({ step, undo });
  }

  /** Registers `undo` and then runs `action`: the usual way to run a compensable step. */
  async step<T>(step: string, undo: () => Promise<unknown>, action: () => Promise<T>): Promise<T> {
    this.add(step, undo);
    return action();
  }

  /**
   * Runs every registered compensation once, newest first, in a non-cancellable scope so that a
   * cancelled workflow still undoes its work. One failing compensation does not stop the others.
   */
  async compensate(reason: CompensationReport['reason']): Promise<CompensationReport> {
    if (this.compensated) throw new Error('saga already compensated');
    this.compensated = true;
    const outcomes: CompensationOutcome[] = [];
    await CancellationScope.nonCancellable(async () => {
      for (const { step, undo } of [...this.compensations].reverse()) {
        try {
          await undo();
          outcomes.push({ step, status: 'compensated' });
        } catch (err) {
          const error = failureMessage(err);
          log.error('compensation failed', { step, error });
          outcomes.push({ step, status: 'failed', error });
        }
      }
    });
    return { reason, outcomes, failed: outcomes.filter((o) => o.status === 'failed').length };
  }
}

export interface SagaOptions {
  /** Called with the report after compensating, before the error is rethrown (e.g. to audit it). */
  onCompensated?: (report: CompensationReport) => void | Promise<void>;
}

/**
 * Runs `body` with a fresh saga. On failure or cancellation the compensations run; then the original
 * error is rethrown unchanged when they all succeeded (so a cancelled run stays cancelled and a
 * `PolicyDenied` stays a `PolicyDenied`), or, when any failed, a non-retryable `CompensationFailed`
 * failure carrying the report as details and the original error as cause, so nothing is swallowed.
 */
export async function withSaga<T>(body: (saga: Saga) => Promise<T>, options: SagaOptions = {}): Promise<T> {
  const saga = new Saga();
  try {
    return await body(saga);
  } catch (err) {
    const report = await saga.compensate(isCancellation(err) ? 'cancellation' : 'failure');
    const { onCompensated } = options;
    if (onCompensated) await CancellationScope.nonCancellable(async () => onCompensated(report));
    if (report.failed === 0) throw err;
    const failedSteps = report.outcomes.filter((o) => o.status === 'failed');
    throw ApplicationFailure.create({
      type: COMPENSATION_FAILED,
      message: `${failureMessage(err)}; ${failedSteps.length} compensation(s) failed: ${failedSteps
        .map((o) => `${o.step} (${o.error})`)
        .join(', ')}`,
      nonRetryable: true,
      details: [report],
      cause: err instanceof Error ? err : undefined,
    });
  }
}

/**
 * Runs independent steps together and waits for every one of them, also when one fails, before failing
 * with the first failure: compensations must never run while a step they undo is still in flight. With
 * `together` false the steps run one after the other in the given order (the order older runs recorded).
 */
export async function runSteps<T extends readonly unknown[]>(
  together: boolean,
  steps: { readonly [K in keyof T]: () => Promise<T[K]> },
): Promise<T> {
  const thunks = steps as ReadonlyArray<() => Promise<unknown>>;
  if (!together) {
    const results: unknown[] = [];
    for (const step of thunks) results.push(await step());
    return results as unknown as T;
  }
  const settled = await Promise.allSettled(thunks.map((step) => step()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T;
}

/** The innermost useful message: activity failures wrap the real error as their cause. */
export function failureMessage(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause;
  return cause instanceof Error ? `${err.message}: ${failureMessage(cause)}` : err.message;
}
