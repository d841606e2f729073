import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import pg from 'pg';
import type { ActivityDeps } from '../../activities/deps.js';
import { createCloudActivities } from '../../activities/cloud/index.js';
import { createLogger } from '../../lib/logger.js';
import { canConnect, freePort } from '../../lib/net.js';
import { freshDatabase } from '../db/fresh-database.js';
import { onCleanup } from '../harness/cleanup.js';
import { echoServerCommand, startEchoServer } from './fixtures/echo-server-command.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { restart, rotate, terminateIdle } from './fixtures/remediation-workflow.js';

const services = await testServices();
const client = await testClient(services);
const fresh = await freshDatabase(services, { migrated: false });
const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-remediation-'));
onCleanup(() => fs.rm(scratch, { recursive: true, force: true }));
const port = await freePort();
const env = {
  REMEDIATION_LOG_DIRS: scratch,
  REMEDIATION_RUN_DIR: scratch,
  REMEDIATION_COMMANDS: JSON.stringify({ echo: echoServerCommand(port) }),
};
const deps: ActivityDeps = { db: fresh.db, temporal: client, logger: createLogger('test'), env };

// The cloud pool's real activity set: this also proves the actions are registered there.
const taskQueue = `${uniquePrefix('remediation')}-cloud`;
await startTestWorker(services, {
  taskQueue,
  workflows: false,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/remediation-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }),
  activities: createCloudActivities(deps),
});

const run = <A extends unknown[], R>(workflow: (...args: A) => Promise<R>, ...args: A) =>
  client.workflow.execute(workflow, { taskQueue, workflowId: `remediation-${randomUUID()}`, args });

async function portAnswers(): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (await canConnect('127.0.0.1', port, 200)) return true;
    await sleep(25);
  }
  return false;
}

describe('remediation actions on a cloud-pool worker', () => {
  it('terminateIdlePostgresConnections frees the idle sessions of the worker database', async () => {
    const idle = new pg.Client({ connectionString: fresh.url, application_name: 'leaky' });
    idle.on('error', () => {});
    await idle.connect();
    onCleanup(() => idle.end().catch(() => undefined));
    const pid = (await idle.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await sleep(400);
    const result = await run(terminateIdle, { idleFor: '200ms', maxToTerminate: 5 });
    assert.deepEqual(result.terminatedPids, [pid]);
    assert.equal(result.before.total - (result.after?.total ?? NaN), 1, result.afterUnknown);
  });

  it('rotateLogs frees disk space in an allowed directory', async () => {
    await fs.writeFile(path.join(scratch, 'app.log'), 'a'.repeat(4096));
    await fs.writeFile(path.join(scratch, 'app.log.1'), 'b'.repeat(4096));
    const result = await run(rotate, { directory: scratch, maxBytes: 1024, keep: 4 });
    assert.deepEqual(result.compressed, [path.join(scratch, 'app.log.2.gz')]);
    assert.ok(result.bytesFreed > 4000);
  });

  it('restartSupervisedProcess brings a killed-and-restarted process back on its port', async () => {
    const firstPid = await startEchoServer(port, path.join(scratch, 'echo.pid'));
    assert.equal(await portAnswers(), true);
    const result = await run(restart, { name: 'echo', graceMs: 2000 });
    onCleanup(() => process.kill(result.newPid!, 'SIGKILL'));
    assert.equal(result.oldPid, firstPid);
    assert.equal(result.stopped, 'signal');
    assert.equal(await portAnswers(), true);
  });

  it('fails a workflow without retrying on bad input, naming the field', async () => {
    const error = await run(rotate, { directory: '/etc', maxBytes: -1 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    const cause = error.cause?.cause as (Error & { type?: string; nonRetryable?: boolean }) | undefined;
    assert.equal(cause?.type, 'InvalidRemediationInput');
    assert.equal(cause?.nonRetryable, true);
    assert.match(
      String(cause?.message),
      /rotateLogs: maxBytes: expected an integer of at least 0, got number -1/,
    );
  });
});
