import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { createLogger } from '../../lib/logger.js';
import { POOLS } from '../../lib/pools.js';
import { runPools } from '../../workers/run-pool.js';
import type { ChangeRequestResult } from '../../workflows/change-request/contract.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { testClient, uniquePrefix } from '../harness/temporal.js';
import { cliExpecting } from './cli-process.js';
import { listeningApi } from './listening-api.js';

const services = await testServices();
const client = await testClient(services);
const database = await freshDatabase(services);
const prefix = uniquePrefix('cli');

interface RunJson {
  workflowId: string;
  status: string;
  result?: unknown;
  approval?: {
    state: string;
    changeHash?: string;
    outcome?: { decision: string; approver?: string; reason?: string };
  };
}

const { env } = await listeningApi({ temporal: client, db: database.db, taskQueuePrefix: prefix });
const logger = createLogger('cli-test');
logger.level = 'error';
const workers = new AbortController();
const workersDone = runPools(POOLS, {
  temporal: { address: services.temporalAddress, namespace: services.namespace, source: 'test' },
  databaseUrl: database.url,
  prefix,
  signal: workers.signal,
  handleSignals: false,
  metricsPort: 0,
  logger,
  env: {},
});
after(async () => {
  workers.abort();
  await workersDone;
});

/** The CLI against a real API (Fastify on a free port) and real workers of every pool. */
describe('dharma CLI against a running API and workers', () => {
  const cli = cliExpecting(env);

  it('doctor prints every pool as ok with its task queue, version and host, and exits 0', async () => {
    const { stdout } = await cli(['doctor', '--timeout', '60']);
    for (const pool of POOLS) {
      const line = stdout.split('\n').find((l) => l.includes(` ${pool} `) && l.includes(`${prefix}-${pool}`));
      assert.ok(line, `a row for ${pool}:\n${stdout}`);
      assert.match(line, /│ yes │/);
      assert.match(line, /\(pid \d+\)/);
      assert.match(line, /\d+ ms/);
    }
  });

  it('starts a run, follows it to completion, then lists and shows it', async () => {
    const started = await cli([
      'runs',
      'start',
      'doctor',
      '--input',
      '{"pools":["trust"]}',
      '--follow',
      '--timeout',
      '60',
    ]);
    const id = /started doctor run (\S+)/.exec(started.stdout)?.[1];
    assert.ok(id, started.stdout);
    assert.match(started.stdout, /Status:\s+COMPLETED/);

    const shown = JSON.parse((await cli(['runs', 'show', id, '--json'])).stdout) as RunJson;
    assert.equal(shown.status, 'COMPLETED');
    assert.equal((shown.result as { pools: Array<{ pool: string; ok: boolean }> }).pools[0]?.ok, true);

    // Visibility is eventually consistent: the run appears in the listing shortly after it closes.
    let listed = false;
    for (let attempt = 0; attempt < 20 && !listed; attempt += 1) {
      const list = JSON.parse(
        (await cli(['runs', 'list', '--type', 'doctor', '--status', 'completed', '--json'])).stdout,
      ) as {
        items: RunJson[];
      };
      listed = list.items.some((r) => r.workflowId === id);
      if (!listed) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.ok(listed, `run ${id} listed`);
  });

  it('maps API errors to one line: unknown run, unknown workflow type, missing permission', async () => {
    const missing = await cli(['runs', 'show', 'no-such-run'], 1);
    assert.match(missing.stderr, /^error: run "no-such-run" does not exist \[HTTP 404 run_not_found\]\n$/);

    const unknownType = await cli(['runs', 'start', 'nope'], 1);
    assert.match(unknownType.stderr, /workflow type "nope" is not registered; known types: .*doctor/);

    const viewer = await cli(['runs', 'start', 'doctor', '--role', 'viewer'], 1);
    assert.match(viewer.stderr, /permission runs:create is required.*\[HTTP 403 forbidden\]/);
  });

  it('a change started with --follow waits for approval; another user approves it over the CLI; the run completes', async () => {
    const input = {
      target: `web-${prefix}`,
      environment: 'staging',
      summary: 'roll out v2',
      change: { image: 'web:v2' },
      approval: { required: true },
    };
    const follower = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'cli/main.ts',
        'runs',
        'start',
        'changeRequest',
        '--input',
        JSON.stringify(input),
        '--follow',
        '--timeout',
        '120',
        '--as',
        'alice',
        '--role',
        'operator',
      ],
      { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    follower.stdout.on('data', (c: Buffer) => (output += c.toString()));
    follower.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number>((resolve) => follower.once('exit', (code) => resolve(code ?? 1)));
    after(() => follower.kill('SIGKILL'));

    const deadline = Date.now() + 60_000;
    while (!/dharma runs approve (\S+)/.test(output)) {
      assert.ok(
        Date.now() < deadline && follower.exitCode === null,
        `follower shows how to approve:\n${output}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const id = /dharma runs approve (\S+)/.exec(output)![1]!;

    // Four-eyes: the requester cannot approve their own change.
    const own = await cli(['runs', 'approve', id, '--as', 'alice', '--role', 'approver'], 1);
    assert.match(own.stderr, /HTTP 403/);

    const approved = await cli([
      'runs',
      'approve',
      id,
      '--as',
      'bob',
      '--role',
      'approver',
      '--reason',
      'looks good',
    ]);
    assert.match(approved.stdout, /requested by alice/);
    assert.match(approved.stdout, /approved by bob/);

    assert.equal(await exited, 0, output);
    assert.match(output, /Status:\s+COMPLETED/);
    const run = JSON.parse((await cli(['runs', 'show', id, '--json'])).stdout) as RunJson;
    const result = run.result as ChangeRequestResult;
    assert.equal(result.status, 'completed');
    assert.equal(result.approval?.decision, 'approved');
    assert.equal(result.approval?.approver, 'bob');
    assert.equal(result.approval?.reason, 'looks good');

    const again = await cli(['runs', 'approve', id, '--as', 'bob', '--role', 'approver'], 1);
    assert.match(again.stderr, /has no pending approval/);
  });
  it('cancels a run waiting for approval; the run ends CANCELLED', async () => {
    const input = {
      target: `db-${prefix}`,
      environment: 'staging',
      summary: 'resize',
      change: { size: 'large' },
      approval: { required: true },
    };
    const started = await cli(['runs', 'start', 'changeRequest', '--input', JSON.stringify(input)]);
    const id = /started changeRequest run (\S+)/.exec(started.stdout)?.[1];
    assert.ok(id, started.stdout);
    const cancelled = await cli(['runs', 'cancel', id, '--reason', 'superseded']);
    assert.match(cancelled.stdout, new RegExp(`cancellation of run ${id} requested`));
    let status = '';
    for (let attempt = 0; attempt < 40 && status !== 'CANCELLED'; attempt += 1) {
      status = (JSON.parse((await cli(['runs', 'show', id, '--json'])).stdout) as RunJson).status;
      if (status !== 'CANCELLED') await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(status, 'CANCELLED');
  });
});
