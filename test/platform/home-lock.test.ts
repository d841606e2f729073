import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { lockHome } from '../../lib/platform/home-lock.js';
import { onCleanup } from '../harness/cleanup.js';

/** One `dharma up` per DHARMA_HOME: a second one would stop the first one's servers as left over. */
async function home(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-home-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A live process whose command line reads like `... up`, or not. */
function liveProcess(argv: string[]) {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', ...argv], {
    stdio: 'ignore',
  });
  onCleanup(() => child.kill('SIGKILL'));
  return child.pid!;
}

const lockFile = (dir: string) => path.join(dir, 'up.pid');

describe('DHARMA_HOME lock of `dharma up`', () => {
  it('refuses a second supervisor on the same home while the first runs, naming it', async () => {
    const dir = await home();
    const running = liveProcess(['up']);
    await writeFile(lockFile(dir), `${running}\n`);
    await assert.rejects(lockHome(dir), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`another \`dharma up\` \\(pid ${running}\\) runs on DHARMA_HOME=`),
      );
      return true;
    });
  });

  it('takes over the lock of a supervisor that is gone, or whose pid another program has now', async () => {
    for (const holder of [2 ** 22 + 12345, liveProcess(['worker'])]) {
      const dir = await home();
      await writeFile(lockFile(dir), `${holder}\n`);
      const release = await lockHome(dir);
      assert.equal((await readFile(lockFile(dir), 'utf8')).trim(), String(process.pid));
      await release();
      await assert.rejects(readFile(lockFile(dir)), 'released');
    }
  });
});
