import { packageRoot } from '../package-root.js';
import { moduleEntry } from './paths.js';
import { SupervisedProcess } from './supervised-process.js';

/**
 * Preloaded into every supervised child. The children run in their own process group, so a terminal
 * Ctrl-C reaches only the supervisor, which stops them in order. If the supervisor dies without stopping
 * them (SIGKILL), their IPC channel closes and they stop themselves the graceful way, as if sent SIGTERM,
 * instead of living on as orphans. Inline (a data: URL) rather than a file because Node passes --import
 * on to worker threads too (the workflow sandbox), where a .ts file would not load; it acts in the main
 * thread only, and unrefs the channel so it never keeps a finished child alive.
 */
const ORPHAN_GUARD = `data:text/javascript,${encodeURIComponent(
  "import { isMainThread } from 'node:worker_threads';" +
    'if (isMainThread && process.send) {' +
    "  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));" +
    '  process.channel?.unref();' +
    '}',
)}`;

/** Node flags of this process that children need too (the tsx loader when running from sources). */
function nodeFlags(): string[] {
  return process.execArgv.filter((arg) => !arg.startsWith('--test') && !arg.startsWith('--inspect'));
}

export interface CliChildOptions {
  env: NodeJS.ProcessEnv;
  onLine: (line: string) => void;
  stopGraceMs: number;
}

/** A `dharma <args>` child of the supervisor (not started yet), run by this same Node with its loader. */
export function cliChild(name: string, args: readonly string[], opts: CliChildOptions): SupervisedProcess {
  return new SupervisedProcess({
    name,
    command: process.execPath,
    args: [...nodeFlags(), '--import', ORPHAN_GUARD, moduleEntry('cli/main'), ...args],
    cwd: packageRoot(),
    env: opts.env,
    onLine: opts.onLine,
    stopGraceMs: opts.stopGraceMs,
  });
}
