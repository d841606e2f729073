import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dharmaHome, setting } from '../../../lib/config.js';
import type { ActivityDeps } from '../../deps.js';
import { fields, invalidInput, refused } from './input.js';
import { alive, startedAtMs } from '../../../lib/process-info.js';

export interface RestartSupervisedProcessInput {
  /** Pid file of the process; give it or `name`. */
  pidFile?: string;
  /** A supervised process: its pid file is REMEDIATION_RUN_DIR/<name>.pid, its start command `name`. */
  name?: string;
  /** Stop signal (default SIGTERM); SIGKILL follows after `graceMs`. */
  signal?: string;
  /** Name of the REMEDIATION_COMMANDS entry that starts it again (default: `name`, when configured). */
  startCommand?: string;
  /** How long the process gets to exit after the signal (default 10000). */
  graceMs?: number;
}

export interface RestartSupervisedProcessResult {
  pidFile: string;
  /** The pid that was running, or null when none was (a stale or missing pid file). */
  oldPid: number | null;
  /** How it ended: by the signal, by SIGKILL after the grace period, or it was not running. */
  /** `not-running` also when the pid file's pid now belongs to a process started after it was written. */
  stopped: 'signal' | 'killed' | 'not-running';
  /** The pid started again, or null when no start command is configured. */
  newPid: number | null;
  startCommand: string | null;
}

const ACTIVITY = 'restartSupervisedProcess';
const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGKILL'] as const;
const MAX_GRACE_MS = 600_000;
const KILL_WAIT_MS = 5_000;
const POLL_MS = 25;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/**
 * Restarts a local process: signal, wait `graceMs`, SIGKILL; then, when REMEDIATION_COMMANDS configures its
 * start command (argv, never a shell, so alert labels cannot inject commands), starts it detached and
 * writes the pid file. Idempotent on retry: a process that is already gone is simply started.
 */
export function createSupervisedProcessActions(deps: Pick<ActivityDeps, 'env'>) {
  return {
    async restartSupervisedProcess(
      input: RestartSupervisedProcessInput,
    ): Promise<RestartSupervisedProcessResult> {
      const f = fields(ACTIVITY, input);
      const name = f.optionalString('name');
      if (name !== undefined && !NAME.test(name)) {
        invalidInput(ACTIVITY, 'name', 'letters, digits, "_", "." or "-"', name);
      }
      const pidFileInput = f.optionalString('pidFile');
      if (pidFileInput === undefined && name === undefined) {
        invalidInput(ACTIVITY, 'pidFile', 'a pid file path (or a name)', undefined);
      }
      if (pidFileInput !== undefined && !path.isAbsolute(pidFileInput)) {
        invalidInput(ACTIVITY, 'pidFile', 'an absolute path', pidFileInput);
      }
      const signal = f.string('signal', 'SIGTERM');
      if (!(SIGNALS as readonly string[]).includes(signal)) {
        invalidInput(ACTIVITY, 'signal', `one of ${SIGNALS.join(', ')}`, signal);
      }
      const graceMs = f.int('graceMs', 0, MAX_GRACE_MS, 10_000);
      const pidFile = pidFileInput ?? path.join(runDir(deps.env), `${name}.pid`);
      const commandName = f.optionalString('startCommand') ?? name;
      const argv = commandName === undefined ? undefined : startCommand(deps.env, commandName, input);

      const oldPid = await readPid(pidFile);
      let stopped: RestartSupervisedProcessResult['stopped'] = 'not-running';
      if (oldPid !== null && alive(oldPid) && !(await reusedPid(oldPid, pidFile))) {
        if (oldPid <= 1 || oldPid === process.pid)
          refused(ACTIVITY, `pid file ${pidFile} names pid ${oldPid}`);
        stopped = await stop(oldPid, signal as NodeJS.Signals, graceMs);
      }
      if (argv === undefined) {
        return { pidFile, oldPid, stopped, newPid: null, startCommand: null };
      }
      const newPid = await start(argv, pidFile);
      return { pidFile, oldPid, stopped, newPid, startCommand: commandName ?? null };
    },
  };
}

function runDir(env: ActivityDeps['env']): string {
  return path.resolve(setting('REMEDIATION_RUN_DIR', env) || path.join(dharmaHome(env), 'run'));
}

function startCommand(
  env: ActivityDeps['env'],
  commandName: string,
  input: RestartSupervisedProcessInput,
): string[] | undefined {
  const raw = setting('REMEDIATION_COMMANDS', env);
  let commands: Record<string, unknown> = {};
  if (raw) {
    try {
      commands = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      refused(
        ACTIVITY,
        'REMEDIATION_COMMANDS on this worker is not valid JSON (expected {"name": ["argv", ...]})',
      );
    }
  }
  const argv = commands[commandName];
  if (argv === undefined) {
    // Stopping alone is a valid restart for processes another supervisor brings back; an explicit
    // start command that is not allowed is a mistake in the playbook.
    if (input.startCommand !== undefined) {
      refused(ACTIVITY, `startCommand ${commandName} is not in REMEDIATION_COMMANDS on this worker`);
    }
    return undefined;
  }
  if (!Array.isArray(argv) || argv.length === 0 || argv.some((arg) => typeof arg !== 'string')) {
    refused(ACTIVITY, `REMEDIATION_COMMANDS.${commandName} must be a non-empty array of strings`);
  }
  return argv as string[];
}

/** Start times have whole seconds of boot time in them; a pid file is written after its process started. */
const START_SLACK_MS = 2_000;

/**
 * Whether the pid file's pid belongs to a process started after the file was written: the process that
 * wrote it died (the case a restart is for) and the pid was handed to another one, which must not be
 * signalled. Read from /proc; where there is none, the pid is taken as the file's.
 */
async function reusedPid(pid: number, pidFile: string): Promise<boolean> {
  const started = await startedAtMs(pid);
  const written = await fs.stat(pidFile).then(
    (info) => info.mtimeMs,
    () => undefined,
  );
  return started !== undefined && written !== undefined && started > written + START_SLACK_MS;
}

async function readPid(pidFile: string): Promise<number | null> {
  const text = await fs.readFile(pidFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (text === null) return null;
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0)
    refused(ACTIVITY, `pid file ${pidFile} holds no pid: ${text.trim()}`);
  return pid;
}

async function waitForExit(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  return !alive(pid);
}

async function stop(pid: number, signal: NodeJS.Signals, graceMs: number): Promise<'signal' | 'killed'> {
  try {
    process.kill(pid, signal);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return 'signal';
    if (code === 'EPERM') refused(ACTIVITY, `the worker may not signal pid ${pid}`);
    throw error;
  }
  if (await waitForExit(pid, graceMs)) return 'signal';
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return 'killed';
  }
  if (!(await waitForExit(pid, KILL_WAIT_MS))) throw new Error(`pid ${pid} survived SIGKILL`);
  return 'killed';
}

async function start(argv: string[], pidFile: string): Promise<number> {
  await fs.mkdir(path.dirname(pidFile), { recursive: true });
  const log = await fs.open(pidFile.replace(/\.pid$/, '') + '.log', 'a');
  try {
    const [command, ...args] = argv as [string, ...string[]];
    // Detached in its own process group, so it outlives the worker and a worker restart.
    const child = spawn(command, args, { detached: true, stdio: ['ignore', log.fd, log.fd] });
    const failed = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', resolve);
    });
    // A missing binary or permission is configuration: retrying the same argv cannot help.
    if (failed) refused(ACTIVITY, `${command} did not start: ${failed.message}`);
    child.unref();
    const pid = child.pid!;
    // Written via a temporary name so a reader never sees a half-written pid.
    await fs.writeFile(`${pidFile}.tmp`, `${pid}\n`);
    await fs.rename(`${pidFile}.tmp`, pidFile);
    return pid;
  } finally {
    await log.close();
  }
}
