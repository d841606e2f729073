import { ActivityFailure, ApplicationFailure, isCancellation } from '@temporalio/workflow';
import { isPlaybookAction, REFUSED_BEFORE_ACTING } from '../../lib/playbooks/actions.js';
import type { RenderedStep } from '../../lib/playbooks/template.js';
import { actionActivity } from './activities.js';
import type { PlaybookRunContext } from './playbook-run.js';
import { failureMessage } from './verify.js';

export interface StepRecord {
  name: string;
  action: string;
  ok: boolean;
  result?: unknown;
  error?: string;
  /** The action refused before touching anything (bad input, an allow-list, a target in the wrong state). */
  refused?: boolean;
}

/** Runs steps in order, each recorded on the timeline; a failure is recorded and stops the list. */
export async function runSteps(
  ctx: PlaybookRunContext,
  steps: readonly RenderedStep[],
  kind: 'snapshot' | 'step' | 'rollback',
): Promise<StepRecord[]> {
  const records: StepRecord[] = [];
  for (const step of steps) {
    ctx.progress(`${kind} ${step.name}: ${step.action}`);
    let record: StepRecord;
    try {
      if (!isPlaybookAction(step.action)) throw new Error(`unknown action ${step.action}`);
      const result = await actionActivity(step.action, step.timeout)(step.params);
      record = { name: step.name, action: step.action, ok: true, result };
    } catch (error) {
      if (isCancellation(error)) throw error;
      const refusedBeforeActing =
        error instanceof ActivityFailure &&
        error.cause instanceof ApplicationFailure &&
        REFUSED_BEFORE_ACTING.has(error.cause.type ?? '');
      record = {
        name: step.name,
        action: step.action,
        ok: false,
        error: failureMessage(error),
        ...(refusedBeforeActing ? { refused: true } : {}),
      };
    }
    records.push(record);
    await ctx.record(kind, { ...record, params: step.params });
    // Rollback goes on past a failed step: undoing the rest is still worth it.
    if (!record.ok && kind !== 'rollback') break;
  }
  return records;
}
