import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { packageRoot } from '../lib/package-root.js';

const SOURCE_DIRS = ['cli', 'api', 'lib', 'workers', 'workflows', 'activities'];

function newestSource(dir: string): number {
  if (!existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).reduce((newest, entry) => {
    const full = path.join(dir, entry.name);
    const mtime = entry.isDirectory()
      ? newestSource(full)
      : entry.name.endsWith('.ts')
        ? statSync(full).mtimeMs
        : 0;
    return Math.max(newest, mtime);
  }, 0);
}

/**
 * How a Dharma process is launched: the compiled CLI (what `npm start` runs) when `npm run build` is
 * newer than every source, else the sources via tsx, whose loader adds some memory of its own.
 */
export function cliCommand(): { args: string[]; compiled: boolean } {
  const root = packageRoot();
  const compiled = path.join(root, 'dist', 'cli', 'main.js');
  const built = existsSync(compiled) ? statSync(compiled).mtimeMs : 0;
  if (built > 0 && SOURCE_DIRS.every((dir) => newestSource(path.join(root, dir)) <= built)) {
    return { args: [compiled], compiled: true };
  }
  return { args: ['--import', 'tsx', path.join(root, 'cli', 'main.ts')], compiled: false };
}

export interface DharmaProcess {
  label: string;
  child: ChildProcess;
  /** Last lines of its output, shown when it dies early. */
  output(): string;
}

export function spawnDharma(label: string, args: string[], env: Record<string, string>): DharmaProcess {
  const child = spawn(process.execPath, [...cliCommand().args, ...args], {
    cwd: packageRoot(),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-3000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return { label, child, output: () => tail };
}

/** Polls until `ready` is true; fails early with the process output if the process exits. */
export async function waitFor(
  what: string,
  proc: DharmaProcess,
  ready: () => Promise<boolean>,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null) {
      throw new Error(
        `${proc.label} exited with code ${proc.child.exitCode} before ${what}:\n${proc.output()}`,
      );
    }
    if (await ready().catch(() => false)) return;
    await sleep(250);
  }
  throw new Error(`${what} did not happen within ${timeoutMs / 1000}s:\n${proc.output()}`);
}

export interface Memory {
  rssBytes: number;
  peakBytes: number;
}

/** Resident memory now (VmRSS) and its peak (VmHWM) from /proc, in bytes. */
export async function memoryOf(pid: number): Promise<Memory> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kb('VmRSS'), peakBytes: kb('VmHWM') };
}
