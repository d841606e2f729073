import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { freePort, canConnect } from '../../lib/net.js';
import { apiFixture } from '../api/api-fixture.js';
import { onCleanup } from '../harness/cleanup.js';
import { echoServerCommand, startEchoServer } from './fixtures/echo-server-command.js';
import { writeTestPlaybooks } from './fixtures/test-playbooks.js';
import { escalation, incidentApi, kinds, settled } from './fixtures/incident-api.js';

const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-playbooks-'));
onCleanup(() => fs.rm(scratch, { recursive: true, force: true }));
// Whatever the playbooks started is stopped after the file, from the pid files the restarts wrote.
onCleanup(async () => {
  for (const file of (await fs.readdir(scratch)).filter((f) => f.endsWith('.pid'))) {
    const pid = Number(await fs.readFile(path.join(scratch, file), 'utf8'));
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
});

const notifications: { text: string }[] = [];
const hook = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk: Buffer) => (body += chunk.toString()));
  req.on('end', () => {
    notifications.push(JSON.parse(body) as { text: string });
    res.writeHead(200).end('ok');
  });
});
await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
onCleanup(() => new Promise<void>((resolve) => hook.close(() => resolve())));

const [echoPort, svcPort] = [await freePort(), await freePort()];
const f = await apiFixture({
  workers: true,
  pools: ['cloud', 'ml'],
  workerEnv: {
    PLAYBOOKS_DIR: await writeTestPlaybooks(scratch),
    REMEDIATION_RUN_DIR: scratch,
    REMEDIATION_COMMANDS: JSON.stringify({
      echo: echoServerCommand(echoPort),
      svc: echoServerCommand(svcPort),
      hang: [process.execPath, '-e', 'setInterval(() => {}, 1 << 30)'],
    }),
    NOTIFY_WEBHOOK_URL: `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`,
  },
});
const { alert, incident, events } = await incidentApi(f);

/** Unique per run: workflow ids are namespace-wide, and a test server outlives one file. */
const fp = (name: string) => `${f.prefix}-${name}`;

/** A restarted process takes a moment to listen: wait for it, up to 10 s. */
async function answers(port: number): Promise<boolean> {
  for (let i = 0; i < 400; i++) {
    if (await canConnect('127.0.0.1', port, 200)) return true;
    await sleep(25);
  }
  return false;
}

const startSupervised = (name: string, port: number) =>
  startEchoServer(port, path.join(scratch, `${name}.pid`));

describe('remediation workflow running playbooks', () => {
  it('heals a killed process: restart, TCP verification, resolved with its MTTR; the rate limit refuses a second run', async () => {
    const pid = await startSupervised('echo', echoPort);
    process.kill(pid, 'SIGKILL');
    while (await canConnect('127.0.0.1', echoPort, 200)) await sleep(25);
    const labels = {
      alertname: 'ProcessDown',
      job: 'echo',
      instance: `127.0.0.1:${echoPort}`,
      severity: 'critical',
    };

    assert.equal(await alert(fp('down-1'), { ...labels, environment: 'dev' }), 202);
    const healed = await incident(fp('down-1'), settled);
    assert.equal(healed.status, 'resolved', JSON.stringify(healed.timeline.at(-1)));
    assert.equal(healed.playbook, 'process-down@v1');
    assert.ok((healed.mttrSeconds ?? 0) > 0);
    assert.equal(await answers(echoPort), true, 'the process answers again');
    for (const kind of ['triaged', 'pre-checks', 'remediation-started', 'step', 'verification', 'resolved'])
      assert.ok(kinds(healed).includes(kind), `timeline has ${kind}: ${kinds(healed).join(', ')}`);
    assert.deepEqual(await events(healed.id), [
      'IncidentDetected',
      'RemediationStarted',
      'RemediationCompleted',
    ]);
    const result: unknown = await f.client.workflow.getHandle(`incident-${fp('down-1')}`).result();
    assert.equal((result as { resolution?: string }).resolution, 'verified');

    const restartedPid = await fs.readFile(path.join(scratch, 'echo.pid'), 'utf8');
    assert.equal(await alert(fp('down-2'), { ...labels, environment: 'dev' }), 202);
    const limited = await incident(fp('down-2'), settled);
    assert.equal(limited.status, 'escalated');
    assert.match(String(escalation(limited)?.reason), /rate-limit: 1 remediation\(s\) of 127\.0\.0\.1/);
    assert.equal(
      await fs.readFile(path.join(scratch, 'echo.pid'), 'utf8'),
      restartedPid,
      'nothing restarted',
    );
    assert.ok(notifications.some((n) => n.text.includes('process-down') && n.text.includes('pre-check')));
  });

  it('frees a database whose connection slots idle sessions hold, after an approval in production', async () => {
    const name = `leaky_${f.prefix.replace(/\W/g, '_')}`;
    await f.db.query(`CREATE ROLE ${name} LOGIN PASSWORD 'leaky'`);
    await f.db.query(`CREATE DATABASE ${name} OWNER ${name} CONNECTION LIMIT 4`);
    const url = new URL(f.services.databaseUrl);
    Object.assign(url, { username: name, password: 'leaky', pathname: `/${name}` });
    const connect = async () => {
      const client = new pg.Client({ connectionString: url.toString(), application_name: 'leaky' });
      client.on('error', () => {});
      await client.connect();
      onCleanup(() => client.end().catch(() => undefined));
      return client;
    };
    for (let i = 0; i < 4; i++) await connect();
    await assert.rejects(connect(), /too many connections/);
    await sleep(300); // the playbook only takes sessions idle for over 200 ms

    const labels = {
      alertname: 'PostgresTooManyConnections',
      datname: name,
      instance: 'pg-test',
      severity: 'warning',
    };
    assert.equal(await alert(fp('pg'), { ...labels, environment: 'production' }), 202);
    await incident(fp('pg'), (i) => i.status === 'awaiting-approval');
    const id = `incident-${fp('pg')}`;
    const approver = await f.token('aaron', ['approver']);
    const run = (
      await f.app.inject({ url: `/v1/runs/${id}`, headers: { authorization: `Bearer ${approver}` } })
    ).json<{
      approval: { changeHash: string };
    }>();
    const decided = await f.app.inject({
      method: 'POST',
      url: `/v1/runs/${id}/approvals`,
      headers: { authorization: `Bearer ${approver}`, 'content-type': 'application/json' },
      payload: { decision: 'approve', changeHash: run.approval.changeHash, reason: 'idle sessions only' },
    });
    assert.equal(decided.statusCode, 200, decided.body);

    const freed = await incident(fp('pg'), settled);
    assert.equal(freed.status, 'resolved', JSON.stringify(freed.timeline.at(-1)));
    assert.ok(kinds(freed).includes('approval'));
    await connect(); // a slot is free again
  });

  it('withdraws a pending approval and changes nothing when the alert resolves by itself', async () => {
    const labels = {
      alertname: 'PostgresTooManyConnections',
      datname: 'flapping',
      instance: 'pg-flapping',
      environment: 'production',
    };
    assert.equal(await alert(fp('flap'), labels), 202);
    await incident(fp('flap'), (i) => i.status === 'awaiting-approval');
    assert.equal(await alert(fp('flap'), labels, 'resolved'), 202);

    const closed = await incident(fp('flap'), (i) => i.status === 'resolved');
    const approval = closed.timeline.find((e) => e.kind === 'approval');
    assert.equal(approval?.detail.decision, 'withdrawn');
    assert.ok(kinds(closed).includes('stopped'));
    assert.ok(!kinds(closed).includes('remediation-started'), 'no step ran');
    const result = await f.client.workflow.getHandle(`incident-${fp('flap')}`).result();
    assert.equal((result as { resolution?: string }).resolution, 'alert-resolved');
  });

  it('rolls back a fix that does not work, escalates to on-call and stores the failure report', async () => {
    await startSupervised('svc', svcPort);
    const labels = {
      alertname: 'ServiceStuck',
      job: 'svc',
      instance: `127.0.0.1:${svcPort}`,
      environment: 'dev',
    };
    assert.equal(await alert(fp('stuck'), labels), 202);

    const failed = await incident(fp('stuck'), settled);
    assert.equal(failed.status, 'escalated');
    assert.equal(failed.failureReport?.stage, 'verification');
    assert.equal(failed.failureReport?.rollback?.[0]?.ok, true);
    assert.equal(await answers(svcPort), true, 'the rollback restored the good release');
    assert.ok(kinds(failed).includes('rollback'));
    assert.deepEqual(await events(failed.id), [
      'IncidentDetected',
      'RemediationStarted',
      'RemediationFailed',
    ]);
    assert.ok(notifications.some((n) => n.text.includes('bad-release') && n.text.includes('verification')));

    // On-call fixes it; the alert clears and closes the incident.
    assert.equal(await alert(fp('stuck'), labels, 'resolved'), 202);
    assert.equal((await incident(fp('stuck'), (i) => i.status === 'resolved')).status, 'resolved');
  });

  it('runs no rollback when the first step refused before touching anything, and escalates', async () => {
    assert.equal(
      await alert(fp('refused'), { alertname: 'StepRefused', job: 'svc', environment: 'dev' }),
      202,
    );
    const failed = await incident(fp('refused'), settled);
    assert.equal(failed.status, 'escalated');
    assert.equal(failed.failureReport?.stage, 'step');
    assert.match(String(failed.failureReport?.reason), /not-allowed/);
    assert.deepEqual(failed.failureReport?.rollback, []);
    assert.ok(!kinds(failed).includes('rollback'));
  });

  it('escalates without touching anything when the alert lacks a label the playbook needs', async () => {
    assert.equal(await alert(fp('wedged'), { alertname: 'WorkerWedged', environment: 'dev' }), 202);
    const escalated = await incident(fp('wedged'), settled);
    assert.equal(escalated.status, 'escalated');
    assert.equal(escalation(escalated)?.stage, 'render');
    assert.match(
      String(escalation(escalated)?.reason),
      /steps\[0\]\.params\.name: the alert has no labels\.process/,
    );
    assert.ok(!kinds(escalated).includes('remediation-started'));
  });

  it('opens nothing for the resolution of an incident that is already closed', async () => {
    assert.equal(await alert(fp('late'), { alertname: 'ProcessDown' }, 'resolved'), 202);
    const result = await f.client.workflow.getHandle(`incident-${fp('late')}`).result();
    assert.deepEqual(result, {
      status: 'ignored',
      notifications: 1,
      reason: 'resolution of a closed incident',
    });
    const { rowCount } = await f.db.query('SELECT 1 FROM incidents WHERE fingerprint = $1', [fp('late')]);
    assert.equal(rowCount, 0);
  });
});
