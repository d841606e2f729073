import { defineQuery, setHandler } from '@temporalio/workflow';

/** Every Dharma workflow answers this query, so the API, CLI and UI can show where a run stands. */
export interface RunProgress {
  /** Coarse state, e.g. queued, validating, awaiting_approval, applying, completed, failed. */
  state: string;
  /** The step running now, in words a person reads. */
  step: string;
  /** 0..1 when the workflow can tell; absent otherwise. */
  fraction?: number;
  updatedAt: string;
}

export const progressQuery = defineQuery<RunProgress>('progress');

type ReportProgress = (state: string, step: string, fraction?: number) => void;

/**
 * Answers progressQuery from now on and returns how to move it on. Each update is stamped with the time of
 * the current workflow task (what `Date` reads inside a workflow, recorded in history), so it is replay-safe.
 */
export function trackProgress(state: string, step: string, fraction?: number): ReportProgress {
  let progress: RunProgress;
  const report: ReportProgress = (nextState, nextStep, nextFraction) => {
    progress = { state: nextState, step: nextStep, updatedAt: new Date().toISOString() };
    if (nextFraction !== undefined) progress.fraction = nextFraction;
  };
  report(state, step, fraction);
  setHandler(progressQuery, () => progress);
  return report;
}
