import { readFile } from 'node:fs/promises';

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process's command line, or '' where /proc cannot tell. */
export async function commandLine(pid: number): Promise<string> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Linux reports process start times in clock ticks since boot; USER_HZ is 100 on every architecture. */
const TICK_MS = 10;

/**
 * When the process started (Linux /proc; boot time has whole seconds, so give or take one), or undefined
 * where that cannot be read.
 */
export async function startedAtMs(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, starttime field 22.
    const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const bootSeconds = Number(/^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'))?.[1]);
    const started = bootSeconds * 1000 + startTicks * TICK_MS;
    return Number.isFinite(started) ? started : undefined;
  } catch {
    return undefined;
  }
}
