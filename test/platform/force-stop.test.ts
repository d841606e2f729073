import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { alive } from '../../lib/process-info.js';
import { onCleanup } from '../harness/cleanup.js';
import { platformPorts } from './platform-ports.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/** The pid on the first line of a pid file the embedded servers write, if any. */
function pidIn(file: string): number | undefined {
  try {
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function gone(pid: number, withinMs: number): Promise<boolean> {
  for (let waited = 0; waited < withinMs; waited += 100) {
    if (!alive(pid)) return true;
    await sleep(100);
  }
  return !alive(pid);
}

describe('dharma up stopped with a second Ctrl-C', () => {
  it('exits at once and leaves neither the Temporal dev server nor PostgreSQL running', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'dharma-force-'));
    onCleanup(() => rm(home, { recursive: true, force: true }));
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DHARMA_HOME: home,
      LOG_LEVEL: 'warn',
      ...(await platformPorts()),
    };
    const up = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'cli', 'main.ts'), 'up'], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onCleanup(() => up.kill('SIGKILL'));
    let output = '';
    const ready = new Promise<void>((resolve, reject) => {
      const seen = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Dharma is up')) resolve();
      };
      up.stdout.on('data', seen);
      up.stderr.on('data', seen);
      up.once('exit', (code) => reject(new Error(`dharma up exited (${code}) before it was up:\n${output}`)));
    });
    await ready;
    const temporal = pidIn(path.join(home, 'temporal.sqlite.pid'));
    const postgres = pidIn(path.join(home, 'pg', 'postmaster.pid'));
    assert.ok(temporal && postgres, `both servers run: ${temporal}, ${postgres}`);
    onCleanup(() => {
      for (const pid of [temporal, postgres]) if (alive(pid)) process.kill(pid, 'SIGKILL');
    });

    const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
    // The second one as soon as the first is being handled, while the workers still drain.
    up.kill('SIGINT');
    for (let waited = 0; !output.includes('SIGINT: stopping') && waited < 5000; waited += 5) await sleep(5);
    up.kill('SIGINT');
    assert.equal(await exited, 130);
    assert.ok(await gone(temporal, 20_000), 'the Temporal dev server stopped');
    assert.ok(await gone(postgres, 20_000), 'PostgreSQL stopped');
  });
});
