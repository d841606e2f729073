import { Context } from '@temporalio/activity';
import { parseJsonUiLine } from '../../lib/tofu/diagnostics.js';
import type { TerraformProgress } from './contract.js';

/**
 * Heartbeats between tofu's own messages: a long resource operation can print nothing for a while, and
 * the activity only learns of a cancellation when it heartbeats.
 */
export const HEARTBEAT_INTERVAL_MS = 2_000;

export interface ProgressReporter {
  /** Switches the reported phase (init, plan, apply...). */
  phase: (phase: TerraformProgress['phase']) => void;
  /** Feeds one stdout line of tofu (JSON UI or text). */
  onLine: (line: string) => void;
  /** Tofu's messages so far, one per line: the activity's log. */
  log: () => string;
  readonly signal: AbortSignal;
  stop: () => void;
}

/** Reports a running tofu command through activity heartbeats (`TerraformProgress` details). */
export function progressReporter(initial: TerraformProgress['phase']): ProgressReporter {
  const context = Context.current();
  const messages: string[] = [];
  const state: TerraformProgress = { phase: initial, line: '', resourcesDone: 0 };
  const beat = () => context.heartbeat({ ...state });
  const timer = setInterval(beat, HEARTBEAT_INTERVAL_MS);
  beat();
  return {
    phase(phase) {
      state.phase = phase;
      beat();
    },
    onLine(line) {
      if (line.trim() === '') return;
      const message = parseJsonUiLine(line);
      const text = message?.['@message'] ?? line;
      messages.push(`[${state.phase}] ${text}`);
      state.line = text;
      if (message?.type === 'apply_complete') state.resourcesDone++;
      beat();
    },
    log: () => `${messages.join('\n')}\n`,
    signal: context.cancellationSignal,
    stop: () => clearInterval(timer),
  };
}
