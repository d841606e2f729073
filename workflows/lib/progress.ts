import { defineQuery } from '@temporalio/workflow';

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
