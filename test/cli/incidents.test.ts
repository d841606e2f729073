import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setIncidentPlaybook, storeFailureReport } from '../../lib/incidents/remediation-store.js';
import {
  changeStatus,
  openIncident,
  type Incident,
  type NewIncident,
} from '../../lib/incidents/repository.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { testClient, uniquePrefix } from '../harness/temporal.js';
import { cliExpecting, runCli } from './cli-process.js';
import { listeningApi } from './listening-api.js';

const services = await testServices();
const database = await freshDatabase(services);
const prefix = uniquePrefix('cli-incidents');
const { env } = await listeningApi({
  temporal: await testClient(services),
  db: database.db,
  taskQueuePrefix: prefix,
});

const incident = (id: string, overrides: Partial<NewIncident>): NewIncident => ({
  id,
  fingerprint: `fp-${id}`,
  source: 'alertmanager',
  alertName: 'HighCpuUsage',
  severity: 'P2',
  target: `web-${prefix}`,
  firstSeen: '2026-01-01T10:00:00.000Z',
  ...overrides,
});

// A fix that worked (resolved after 12m 34s) and one that failed verification, was rolled back and escalated.
const resolvedId = `${prefix}-resolved`;
const failedId = `${prefix}-failed`;
await openIncident(database.db, incident(resolvedId, {}), { labels: {} }, `${resolvedId}-open`);
await setIncidentPlaybook(database.db, resolvedId, 'cpu-high@v1');
const steps: Array<[string, Record<string, unknown>]> = [
  ['triaged', { decision: 'remediate', playbook: 'cpu-high@v1', matchedBy: 'rule' }],
  ['step', { name: 'restart', action: 'pool.restart', ok: true }],
  [
    'verification',
    { playbook: 'cpu-high@v1', results: [{ kind: 'alert-resolved', passed: true, detail: 'resolved' }] },
  ],
];
for (const [kind, detail] of steps)
  await changeStatus(
    database.db,
    { incidentId: resolvedId, status: 'verifying', at: '2026-01-01T10:05:00.000Z', kind, detail },
    `${resolvedId}-${kind}`,
  );
await changeStatus(
  database.db,
  {
    incidentId: resolvedId,
    status: 'resolved',
    at: '2026-01-01T10:12:34.000Z',
    kind: 'resolved',
    detail: { playbook: 'cpu-high@v1', resolution: 'verified' },
  },
  `${resolvedId}-resolved`,
);

await openIncident(
  database.db,
  incident(failedId, { severity: 'P1', alertName: 'ServiceDown', firstSeen: '2026-01-02T08:00:00.000Z' }),
  { labels: {} },
  `${failedId}-open`,
);
await setIncidentPlaybook(database.db, failedId, 'service-unavailable@v1');
await storeFailureReport(database.db, failedId, {
  playbook: 'service-unavailable@v1',
  stage: 'verification',
  reason: 'not verified within 1m: http: HTTP 503',
  steps: [{ name: 'restart', action: 'pool.restart', ok: true }],
  rollback: [{ name: 'undo', action: 'pool.restart', ok: true }],
});
await changeStatus(
  database.db,
  {
    incidentId: failedId,
    status: 'escalated',
    at: '2026-01-02T08:03:00.000Z',
    kind: 'escalated',
    detail: { stage: 'verification', reason: 'not verified within 1m: http: HTTP 503', notify: 'on-call' },
  },
  `${failedId}-escalated`,
);

describe('dharma incidents against a running API', () => {
  const cli = cliExpecting(env);
  const rowOf = (stdout: string, id: string) => stdout.split('\n').find((line) => line.includes(id));

  it('lists incidents newest first as a table, with filters and MTTR', async () => {
    const { stdout } = await cli(['incidents', 'list', '--target', `web-${prefix}`]);
    assert.match(stdout, /Incident.*Severity.*Status.*Alert.*Target.*Playbook.*First seen.*MTTR/);
    assert.ok(stdout.indexOf(failedId) < stdout.indexOf(resolvedId), 'newest first');
    assert.match(rowOf(stdout, resolvedId) ?? '', /P2 .*resolved .*HighCpuUsage .*cpu-high@v1 .*12m 34s/);
    assert.match(rowOf(stdout, failedId) ?? '', /P1 .*escalated .*ServiceDown .*service-unavailable@v1/);

    const p1 = await cli(['incidents', 'list', '--severity', 'P1', '--target', `web-${prefix}`]);
    assert.ok(rowOf(p1.stdout, failedId) && !rowOf(p1.stdout, resolvedId), p1.stdout);
    const none = await cli(['incidents', 'list', '--status', 'detected', '--target', `web-${prefix}`]);
    assert.equal(none.stdout.trim(), 'no incidents match');

    const page = await cli(['incidents', 'list', '--target', `web-${prefix}`, '--limit', '1', '--json']);
    const json = JSON.parse(page.stdout) as { items: Incident[]; nextCursor?: string };
    assert.deepEqual(
      json.items.map((i) => i.id),
      [failedId],
    );
    assert.ok(json.nextCursor);
    const next = await cli(['incidents', 'list', '--target', `web-${prefix}`, '--cursor', json.nextCursor]);
    assert.ok(rowOf(next.stdout, resolvedId) && !rowOf(next.stdout, failedId), next.stdout);
  });

  it('shows a resolved incident with its timeline, one line per entry', async () => {
    const { stdout } = await cli(['incidents', 'show', resolvedId]);
    assert.match(stdout, /^Incident: +\S+-resolved$/m);
    assert.match(stdout, /^Status: +resolved$/m);
    assert.match(stdout, /^MTTR: +12m 34s$/m);
    assert.doesNotMatch(stdout, /Failed at/);
    const line = (kind: string) => stdout.split('\n').find((l) => l.includes(` ${kind} `)) ?? '';
    assert.match(line('triaged'), /decision remediate; playbook cpu-high@v1/);
    assert.match(line('step'), /restart \(pool\.restart\) ok/);
    assert.match(line('verification'), /alert-resolved ok/);
    assert.match(line('resolved'), /2026-01-01T10:12:34\.000Z.*playbook cpu-high@v1; verified/);
  });

  it('shows the failure report summary of a fix that did not work', async () => {
    const { stdout } = await cli(['incidents', 'show', failedId]);
    assert.match(stdout, /^Failed at: +verification$/m);
    assert.match(stdout, /^Reason: +not verified within 1m: http: HTTP 503$/m);
    assert.match(stdout, /^Rolled back: +1\/1 rollback steps ok$/m);
    assert.match(stdout, /escalated .*stage verification; not verified within 1m/);

    const json = JSON.parse((await cli(['incidents', 'show', failedId, '--json'])).stdout) as Incident;
    assert.equal(json.failureReport?.stage, 'verification');
  });

  it('maps errors to one line: unknown incident, bad severity, missing permission', async () => {
    const missing = await cli(['incidents', 'show', 'no-such-incident'], 1);
    assert.match(missing.stderr, /^error: .*no-such-incident.*\[HTTP 404 \S+\]\n$/);
    const bad = await cli(['incidents', 'list', '--severity', 'P9'], 2);
    assert.match(bad.stderr, /^error: .*Allowed choices are P1, P2, P3, P4/);
    const unauth = await runCli(['incidents', 'list'], { ...env, API_TOKEN: 'not-a-token' });
    assert.equal(unauth.code, 1);
    assert.match(unauth.stderr, /^error: .*\[HTTP 401 \S+\]\n$/);
  });
});
