import { setTimeout as sleep } from 'node:timers/promises';
import type { RunDetail } from '../api/run-detail.js';
import type { ApiClient } from './api-client.js';
import { DharmaError } from '../lib/errors.js';
import { createProgress, type Progress } from './progress.js';

export type { RunDetail };

/** What `POST /v1/runs` answers. */
export interface StartedRun {
  workflowId: string;
  runId: string;
  workflowType: string;
}

// CONTINUED_AS_NEW is not final: the id resolves to the next run, which the next poll describes.
export const TERMINAL_STATUSES = ['COMPLETED', 'FAILED', 'CANCELLED', 'TERMINATED', 'TIMED_OUT'];

export function isClosed(run: RunDetail): boolean {
  return TERMINAL_STATUSES.includes(run.status);
}

export function startRun(client: ApiClient, workflowType: string, input: unknown): Promise<StartedRun> {
  return client.post<StartedRun>('/v1/runs', { workflowType, input });
}

export function getRun(client: ApiClient, id: string): Promise<RunDetail> {
  return client.get<RunDetail>(`/v1/runs/${encodeURIComponent(id)}`);
}

/** One status line: the state and step the workflow reports through its progress query. */
export function statusLine(run: RunDetail): string {
  const step = run.progress ? ` - ${run.progress.state}: ${run.progress.step}` : '';
  const approval = run.approval?.state === 'pending' ? ' (awaiting approval)' : '';
  return `${run.workflowId} ${run.status}${step}${approval}`;
}

export interface FollowOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Called once when the run starts waiting for an approval, so the user learns how to give it. */
  onApprovalPending?: (run: RunDetail) => void;
}

/** Polls the run until it closes, reporting each new status; a timeout leaves the run untouched. */
export async function followRun(
  client: ApiClient,
  id: string,
  progress: Progress,
  options: FollowOptions,
): Promise<RunDetail> {
  const deadline = Date.now() + options.timeoutMs;
  let announcedApproval = false;
  for (;;) {
    const run = await getRun(client, id);
    if (isClosed(run)) return run;
    progress.update(statusLine(run));
    if (run.approval?.state === 'pending' && !announcedApproval) {
      announcedApproval = true;
      options.onApprovalPending?.(run);
    }
    if (Date.now() > deadline) {
      throw new DharmaError(
        `run ${id} is still ${run.status} after ${Math.round(options.timeoutMs / 1000)}s; it keeps running (see \`dharma runs show ${id}\`)`,
      );
    }
    await sleep(options.intervalMs ?? 500);
  }
}

/**
 * followRun with a live progress display and, when the run waits for an approval, how to give it
 * (`approving` names what is approved: a change, a plan). The display is closed however the wait ends.
 */
export async function followRunLive(
  client: ApiClient,
  id: string,
  { timeoutMs, approving }: { timeoutMs: number; approving: string },
): Promise<RunDetail> {
  const progress = createProgress();
  try {
    return await followRun(client, id, progress, {
      timeoutMs,
      onApprovalPending: (r) =>
        progress.note(
          `awaiting approval of ${approving} ${r.approval?.changeHash ?? '?'}: ${r.approval?.summary ?? ''}\n` +
            `  approve: dharma runs approve ${r.workflowId}    reject: dharma runs reject ${r.workflowId}`,
        ),
    });
  } finally {
    progress.done();
  }
}
