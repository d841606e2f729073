import { spawn, type ChildProcess } from 'node:child_process';
import { stopChild } from '../embedded/temporal-dev-server.js';

export interface SupervisedProcessOptions {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Every output line of the child, and the supervisor's notes about it. */
  onLine: (line: string) => void;
  /** How long a stopping child may drain before it is killed. */
  stopGraceMs: number;
}

const FIRST_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30_000;
/** A child that ran this long before crashing is restarted from the first backoff step again. */
const STABLE_AFTER_MS = 60_000;

/**
 * A child process that is restarted with exponential backoff when it exits on its own, and stopped with
 * SIGTERM (then SIGKILL after the grace period) when the supervisor stops.
 */
export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private backoffMs = FIRST_BACKOFF_MS;
  private restartTimer: NodeJS.Timeout | undefined;
  /** How many times the child was restarted after exiting on its own. */
  restarts = 0;

  constructor(private readonly opts: SupervisedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    const { name, onLine } = this.opts;
    const startedAt = Date.now();
    // Own process group: Ctrl-C in a terminal signals the whole foreground group, and the supervisor
    // wants to stop its children itself, in order. The IPC channel lets the child notice our death
    // (ORPHAN_GUARD in up.ts).
    const child = spawn(this.opts.command, this.opts.args, {
      cwd: this.opts.cwd,
      env: this.opts.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) onLine(`[${name}] ${line}`);
      });
    }
    child.on('error', (error) => onLine(`[${name}] could not start: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.stopping) return;
      if (Date.now() - startedAt > STABLE_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
      const delay = this.backoffMs;
      this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
      onLine(`[${name}] exited (${signal ?? `code ${code}`}); restarting in ${delay / 1000}s`);
      this.restartTimer = setTimeout(() => {
        this.restarts += 1;
        this.start();
      }, delay);
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    if (this.child) await stopChild(this.child, this.opts.stopGraceMs);
  }

  /** Last resort on a second Ctrl-C: no draining. */
  kill(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.child?.kill('SIGKILL');
  }
}
