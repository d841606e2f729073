import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, statSync } from 'node:fs';
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

/** The pid of the process listening on TCP `port` (IPv4 or IPv6), from /proc; undefined if none is. */
export async function listeningPid(port: number): Promise<number | undefined> {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(table, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address is "ADDR:PORT"; st 0A is LISTEN; the inode is the 10th field.
      if (f[1]?.endsWith(`:${hexPort}`) && f[3] === '0A' && f[9]) inodes.add(`socket:[${f[9]}]`);
    }
  }
  if (inodes.size === 0) return undefined;
  for (const pid of pids()) {
    const fds = (() => {
      try {
        return readdirSync(`/proc/${pid}/fd`);
      } catch {
        return [];
      }
    })();
    for (const fd of fds) {
      try {
        if (inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`))) return pid;
      } catch {
        // The descriptor closed while we looked.
      }
    }
  }
  return undefined;
}

function pids(): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .map(Number);
}

interface ProcStat {
  ppid: number;
  /** User + system time of the process itself, ms. */
  ownMs: number;
  /** User + system time of the children it already reaped, ms. */
  reapedMs: number;
}

/** Fields of /proc/<pid>/stat; undefined once the process is gone. */
async function procStat(pid: number): Promise<ProcStat | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (!stat) return undefined;
  // Fields after the parenthesised command name: ppid is the 2nd, utime, stime, cutime, cstime the 12th to 15th.
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (...i: number[]) =>
    (i.reduce((sum, k) => sum + Number(f[k]), 0) * 1000) / CLOCK_TICKS_PER_SECOND;
  return { ppid: Number(f[1]), ownMs: ms(11, 12), reapedMs: ms(13, 14) };
}

/** CPU time (user + system) a process has used so far, in ms. */
export async function cpuMsOf(pid: number): Promise<number> {
  return (await procStat(pid))?.ownMs ?? Number.NaN;
}

/**
 * CPU time of a process and all its descendants, in ms: their own time, plus that of children they
 * already reaped (PostgreSQL's backends come and go).
 */
export async function treeCpuMs(root: number): Promise<number> {
  const stats = new Map<number, ProcStat>();
  for (const pid of pids()) {
    const stat = await procStat(pid);
    if (stat) stats.set(pid, stat);
  }
  let total = 0;
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    const stat = stats.get(pid);
    total += stat ? stat.ownMs + stat.reapedMs : 0;
    for (const [child, s] of stats) if (s.ppid === pid) queue.push(child);
  }
  return total;
}

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times, is 100 on every architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;
