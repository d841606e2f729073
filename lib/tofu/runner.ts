import { spawn } from 'node:child_process';
import { DharmaError } from '../errors.js';
import {
  describeErrors,
  diagnosticsFromJson,
  diagnosticsFromText,
  type TofuDiagnostic,
} from './diagnostics.js';

/**
 * How long tofu gets to stop after SIGINT before it is killed. On SIGINT tofu lets in-flight resource
 * operations finish, writes the state and releases the state lock; a kill skips all that (the pg backend
 * still frees its advisory lock when the connection drops, but the state may miss what was just made).
 */
export const TOFU_INTERRUPT_GRACE_MS = 30_000;

export type TofuCommand = 'init' | 'plan' | 'apply' | 'show' | 'output' | 'validate';

/** Commands that could prompt; `-input=false` makes them fail instead of hanging a worker. */
const INPUT_COMMANDS: ReadonlySet<TofuCommand> = new Set(['init', 'plan', 'apply']);

export interface TofuRunOptions {
  binary: string;
  cwd: string;
  /** The complete environment of the process (see tofuProcessEnv). */
  env: Record<string, string>;
  /** Aborting interrupts tofu: SIGINT, then SIGKILL after TOFU_INTERRUPT_GRACE_MS. */
  signal?: AbortSignal;
  /** Called with each stdout line as it arrives (progress, heartbeats). */
  onLine?: (line: string) => void;
  /** Exit codes that mean success; default [0] (`plan -detailed-exitcode` adds 2). */
  okExitCodes?: readonly number[];
}

export interface TofuResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export class TofuFailed extends DharmaError {
  constructor(
    readonly command: TofuCommand,
    readonly exitCode: number,
    readonly diagnostics: readonly TofuDiagnostic[],
    stderr: string,
  ) {
    const described = describeErrors(diagnostics) || stderr.trim().split('\n').slice(-5).join('\n');
    super(`tofu ${command} failed (exit ${exitCode}): ${described || 'no diagnostic printed'}`);
  }

  /** Whether any error diagnostic's summary or detail matches `pattern`. */
  mentions(pattern: RegExp): boolean {
    return this.diagnostics.some(
      (d) => d.severity === 'error' && (pattern.test(d.summary) || pattern.test(d.detail)),
    );
  }
}

export class TofuInterrupted extends DharmaError {
  constructor(
    readonly command: TofuCommand,
    /** SIGINT when tofu stopped within the grace period, SIGKILL when it had to be killed. */
    readonly stoppedBy: 'SIGINT' | 'SIGKILL',
  ) {
    super(`tofu ${command} was interrupted (${stoppedBy === 'SIGINT' ? 'stopped gracefully' : 'killed'})`);
  }
}

/** Environment for a tofu process: the worker's own (PATH, TF_VAR_* secrets) plus `extra`. */
export function tofuProcessEnv(...extra: Array<Record<string, string>>): Record<string, string> {
  const base: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined) base[key] = value;
  return Object.assign(base, ...extra) as Record<string, string>;
}

function lineSplitter(onLine: (line: string) => void): { push(chunk: Buffer): void; end(): void } {
  let pending = '';
  return {
    push(chunk) {
      pending += chunk.toString('utf8');
      let index: number;
      while ((index = pending.indexOf('\n')) >= 0) {
        onLine(pending.slice(0, index));
        pending = pending.slice(index + 1);
      }
    },
    end() {
      if (pending) onLine(pending);
      pending = '';
    },
  };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/**
 * Runs `tofu <command> <args>` non-interactively (`-input=false` where it applies, `-no-color`),
 * collecting its output. A non-success exit throws TofuFailed with tofu's own diagnostics; an abort
 * throws TofuInterrupted once the process is gone.
 */
export function runTofu(
  command: TofuCommand,
  args: readonly string[],
  opts: TofuRunOptions,
): Promise<TofuResult> {
  const flags = [...(INPUT_COMMANDS.has(command) ? ['-input=false'] : []), '-no-color'];
  const okExitCodes = opts.okExitCodes ?? [0];
  return new Promise<TofuResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new TofuInterrupted(command, 'SIGINT'));
      return;
    }
    // Its own process group, like a terminal's foreground job: SIGINT reaches tofu and its provider
    // plugins together (plugins ignore it and wait for tofu's shutdown request), and a kill takes all.
    const child = spawn(opts.binary, [command, ...flags, ...args], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    const lines = opts.onLine ? lineSplitter(opts.onLine) : undefined;
    let stoppedBy: 'SIGINT' | 'SIGKILL' | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const onAbort = () => {
      if (child.pid === undefined || stoppedBy) return;
      stoppedBy = 'SIGINT';
      signalGroup(child.pid, 'SIGINT');
      killTimer = setTimeout(() => {
        stoppedBy = 'SIGKILL';
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
      }, TOFU_INTERRUPT_GRACE_MS);
    };
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdout.push(chunk);
      lines?.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    child.on('error', (error) => {
      opts.signal?.removeEventListener('abort', onAbort);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      lines?.end();
      const out = Buffer.concat(stdout).toString('utf8');
      const err = Buffer.concat(stderr).toString('utf8');
      if (stoppedBy) {
        reject(new TofuInterrupted(command, stoppedBy));
        return;
      }
      const exitCode = code ?? (signal ? 128 : 1);
      if (okExitCodes.includes(exitCode)) {
        resolve({ exitCode, stdout: out, stderr: err });
        return;
      }
      const fromJson = diagnosticsFromJson(out.split('\n'));
      const diagnostics = fromJson.length > 0 ? fromJson : diagnosticsFromText(`${err}\n${out}`);
      reject(new TofuFailed(command, exitCode, diagnostics, err));
    });
  });
}
