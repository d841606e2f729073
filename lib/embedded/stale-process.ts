import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
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

/**
 * Stops a server left running by a previous supervisor that was killed without cleaning up (its pid is
 * in `pidFile`'s first line). Only a process whose command line contains `marker` is touched, so a pid
 * reused by an unrelated process is left alone.
 */
export async function stopStaleServer(
  pidFile: string,
  marker: string,
  signal: NodeJS.Signals,
): Promise<boolean> {
  let pid: number;
  try {
    pid = Number((await readFile(pidFile, 'utf8')).split('\n')[0]);
  } catch {
    return false;
  }
  if (!Number.isInteger(pid) || pid <= 1 || !alive(pid)) return false;
  const cmd = await commandLine(pid);
  if (cmd !== '' && !cmd.includes(marker)) return false;
  process.kill(pid, signal);
  for (let waited = 0; waited < 15_000 && alive(pid); waited += 100) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}
