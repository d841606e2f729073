import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { createSupervisedProcessActions } from '../../activities/cloud/remediation/supervised-process.js';
import { canConnect, freePort } from '../../lib/net.js';
import { onCleanup } from '../harness/cleanup.js';
import { echoServerCommand, startEchoServer } from './fixtures/echo-server-command.js';
import { nonRetryableFailureOf } from '../harness/failures.js';

const runDir = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-run-'));
onCleanup(() => fs.rm(runDir, { recursive: true, force: true }));
const started = new Set<number>();
onCleanup(() => {
  for (const pid of started) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

function actions(commands: Record<string, string[]>) {
  return createSupervisedProcessActions({
    env: { REMEDIATION_RUN_DIR: runDir, REMEDIATION_COMMANDS: JSON.stringify(commands) },
  }).restartSupervisedProcess;
}

async function waitFor(check: () => Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

async function greeting(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let text = '';
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('end', () => resolve(text.trim()));
    socket.on('error', reject);
  });
}

/** Waits until the port greets from `pid` (a process just started may still be binding it). */
async function answersFrom(port: number, pid: number): Promise<void> {
  let last = '';
  await waitFor(async () => {
    last = await greeting(port).catch((error: Error) => error.message);
    return last === `pid ${pid}`;
  }).catch(() => assert.fail(`port ${port} never answered from pid ${pid}; last: ${last}`));
}

const rejection = async (promise: Promise<unknown>, type: string) =>
  (await nonRetryableFailureOf(promise, type)).message;

describe('restartSupervisedProcess', () => {
  it('stops a named process and starts its configured command again: the port answers from a new pid', async () => {
    const port = await freePort();
    const restart = actions({ echo: echoServerCommand(port) });
    const oldPid = await startEchoServer(port, path.join(runDir, 'echo.pid'));

    const result = await restart({ name: 'echo', graceMs: 3000 });
    started.add(result.newPid!);

    assert.equal(result.oldPid, oldPid);
    assert.equal(result.stopped, 'signal');
    assert.equal(result.startCommand, 'echo');
    assert.ok(result.newPid && result.newPid !== oldPid);
    assert.equal((await fs.readFile(path.join(runDir, 'echo.pid'), 'utf8')).trim(), String(result.newPid));
    await answersFrom(port, result.newPid);

    // A retry after the process died on its own only starts it again.
    process.kill(result.newPid, 'SIGKILL');
    await waitFor(async () => !(await canConnect('127.0.0.1', port, 200)));
    await sleep(100);
    const retried = await restart({ name: 'echo', graceMs: 3000 });
    started.add(retried.newPid!);
    assert.equal(retried.stopped, 'not-running');
    assert.equal(retried.oldPid, result.newPid);
    await answersFrom(port, retried.newPid!);
  });

  it('kills a process that ignores the signal after graceMs, and only stops when no command is configured', async () => {
    const port = await freePort();
    const pidFile = path.join(runDir, 'stubborn.pid');
    const oldPid = await startEchoServer(port, pidFile, '--ignore-sigterm');
    const before = Date.now();

    const result = await actions({})({ pidFile, graceMs: 300 });

    assert.ok(Date.now() - before >= 300);
    assert.deepEqual(result, { pidFile, oldPid, stopped: 'killed', newPid: null, startCommand: null });
    assert.equal(await canConnect('127.0.0.1', port, 200), false);
  });

  it('leaves alone a process that took over the pid of the one that wrote the pid file', async () => {
    const pidFile = path.join(runDir, 'crashed.pid');
    // The service wrote its pid a minute ago and crashed; the pid now belongs to an unrelated process.
    const unrelated = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
    onCleanup(() => unrelated.kill('SIGKILL'));
    await fs.writeFile(pidFile, String(unrelated.pid));
    const written = new Date(Date.now() - 60_000);
    await fs.utimes(pidFile, written, written);

    const result = await actions({})({ pidFile, graceMs: 300 });

    assert.equal(result.stopped, 'not-running');
    assert.equal(unrelated.exitCode, null);
    assert.equal(unrelated.signalCode, null, 'not signalled');
  });

  it('refuses start commands outside REMEDIATION_COMMANDS and commands that cannot start', async () => {
    const restart = actions({ broken: ['/nonexistent/binary'] });
    assert.match(
      await rejection(restart({ name: 'api', startCommand: 'rm-rf' }), 'RemediationRefused'),
      /startCommand rm-rf is not in REMEDIATION_COMMANDS/,
    );
    assert.match(
      await rejection(restart({ name: 'broken' }), 'RemediationRefused'),
      /\/nonexistent\/binary did not start: .*ENOENT/,
    );
  });

  it('refuses bad input without retrying, naming the field', async () => {
    const restart = actions({});
    const bad = (input: unknown) => rejection(restart(input as never), 'InvalidRemediationInput');
    assert.match(
      await bad({}),
      /restartSupervisedProcess: pidFile: expected a pid file path \(or a name\), got nothing/,
    );
    assert.match(await bad({ pidFile: 'x.pid' }), /pidFile: expected an absolute path, got "x.pid"/);
    assert.match(await bad({ name: '../etc/passwd' }), /name: expected letters, digits/);
    assert.match(await bad({ name: 'api', signal: 'SIGSTOP' }), /signal: expected one of SIGTERM/);
    assert.match(await bad({ name: 'api', graceMs: 1.5 }), /graceMs: expected an integer from 0 to 600000/);
  });
});
