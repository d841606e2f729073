import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { alive, commandLine } from '../process-info.js';
import { DharmaError } from '../errors.js';

const LOCK_FILE = 'up.pid';

/**
 * One `dharma up` per DHARMA_HOME: a start takes the servers named by the pid files in it for ones a
 * killed earlier start left behind and stops them, which must never hit a running platform's. A lock
 * whose process is gone (or is not a `dharma up`: its pid was reused) is stale and taken over.
 * Returns the release.
 */
export async function lockHome(home: string): Promise<() => Promise<void>> {
  await mkdir(home, { recursive: true });
  const file = path.join(home, LOCK_FILE);
  for (;;) {
    try {
      await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
      return async () => {
        const holder = await readFile(file, 'utf8').catch(() => '');
        if (Number(holder.trim()) === process.pid) await rm(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(file, 'utf8').catch(() => '')).trim());
    if (await isRunningUp(holder)) {
      throw new DharmaError(
        `another \`dharma up\` (pid ${holder}) runs on DHARMA_HOME=${home}: stop it first, or set ` +
          'DHARMA_HOME to another directory',
      );
    }
    await rm(file, { force: true });
  }
}

async function isRunningUp(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid || !alive(pid)) return false;
  const cmd = await commandLine(pid);
  // Where /proc cannot tell, a live process is taken for the holder: refusing is the safe side.
  return cmd === '' || / up( |$)/.test(cmd);
}
