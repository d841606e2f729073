import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive, commandLine } from '../process-info.js';

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
  try {
    process.kill(pid, signal);
  } catch (error) {
    // Another user's process is not a server this user left running.
    if ((error as NodeJS.ErrnoException).code === 'EPERM') return false;
    throw error;
  }
  for (let waited = 0; waited < 15_000 && alive(pid); waited += 100) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  return true;
}
