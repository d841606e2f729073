import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keyHash } from '../../api/webhooks/verify.js';
import { apiFixture, bearer } from '../api/api-fixture.js';
import { alertmanagerPayload } from './payloads.js';

// Ingestion and the incident lifecycle without playbooks (test/remediation covers those): only the
// orchestration pool runs here, so no action or classifier may be asked for.
const f = await apiFixture({ workers: true, workerEnv: { REMEDIATION_AUTO_HEAL: 'false' } });
const app = await f.build({ rateLimitPerMinute: 100_000 });
const KEY = 'am-key-incidents';
await f.db.query(
  `INSERT INTO webhook_sources (source, kind, secret, key_hash) VALUES ('alertmanager', 'alertmanager', NULL, $1)`,
  [keyHash(KEY)],
);
const viewer = bearer(await f.token('vera', ['viewer']));

/** Unique per run: workflow ids are namespace-wide, and a test server outlives one file. */
const healed = `${f.prefix}-healed`;
const open = `${f.prefix}-open`;
const targetOf = (fingerprint: string) => `host-${fingerprint}:9100`;

const alert = (payload: unknown) =>
  app.inject({
    method: 'POST',
    url: '/v1/webhooks/alertmanager',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
    payload: JSON.stringify(payload),
  });
const get = (url: string, headers: Record<string, string> = viewer) =>
  app.inject({ method: 'GET', url, headers });

async function gauge(series: string): Promise<number | undefined> {
  const line = (await app.inject({ method: 'GET', url: '/metrics' })).body
    .split('\n')
    .find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

// A P3 incident that fires, fires again and resolves; a P1 one that escalates and stays open.
assert.equal(
  (await alert(alertmanagerPayload([{ fingerprint: healed, severity: 'warning' }]))).statusCode,
  202,
);
assert.equal(
  (await alert(alertmanagerPayload([{ fingerprint: healed, severity: 'warning', status: 'resolved' }])))
    .statusCode,
  202,
);
const healedResult = await f.client.workflow.getHandle(`incident-${healed}`).result();
assert.equal(
  (await alert(alertmanagerPayload([{ fingerprint: open, severity: 'critical' }]))).statusCode,
  202,
);
const openIncident = await (async () => {
  for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
    const body = (await get(`/v1/incidents?target=${encodeURIComponent(targetOf(open))}`)).json();
    if (body.items[0]?.status === 'escalated') return body.items[0];
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the P1 incident was not escalated in time');
})();

describe('incidents API', () => {
  it('lists a firing-then-resolved alert as one resolved incident with its MTTR', async () => {
    const res = await get(`/v1/incidents?target=${encodeURIComponent(targetOf(healed))}`);
    assert.equal(res.statusCode, 200, res.body);
    const { items, nextCursor } = res.json();
    assert.equal(nextCursor, undefined);
    assert.equal(items.length, 1);
    const [incident] = items;
    assert.equal(incident.id, healedResult.incidentId);
    assert.equal(incident.status, 'resolved');
    assert.equal(incident.severity, 'P3');
    assert.equal(incident.notifications, 2);
    assert.equal(incident.resolvedAt, healedResult.resolvedAt);
    // MTTR runs from the first alert to the resolution, as stored by the workflow.
    assert.ok(incident.mttrSeconds > 0);
    assert.equal(
      incident.mttrSeconds,
      (Date.parse(incident.resolvedAt) - Date.parse(incident.firstSeen)) / 1000,
    );
  });

  it('shows one incident with its timeline in order, from detection to resolution', async () => {
    const res = await get(`/v1/incidents/${encodeURIComponent(healedResult.incidentId)}`);
    assert.equal(res.statusCode, 200, res.body);
    const incident = res.json();
    assert.equal(incident.status, 'resolved');
    const kinds: string[] = incident.timeline.map((e: { kind: string }) => e.kind);
    assert.deepEqual([kinds[0], kinds[1], kinds.at(-1)], ['detected', 'triaged', 'resolved']);
    assert.ok(kinds.includes('alerts'), `notifications are on the timeline: ${kinds.join(', ')}`);
    const times = incident.timeline.map((e: { at: string }) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => a - b),
    );
    assert.equal(incident.timeline.at(-1).at, incident.resolvedAt);
  });

  it('filters by status, severity, target and since', async () => {
    const ids = async (query: string) =>
      (await get(`/v1/incidents?${query}`)).json().items.map((i: { id: string }) => i.id);
    assert.deepEqual(await ids('status=resolved'), [healedResult.incidentId]);
    assert.deepEqual(await ids('status=escalated'), [openIncident.id]);
    assert.deepEqual(await ids('severity=P1'), [openIncident.id]);
    assert.deepEqual(await ids('severity=P3&status=escalated'), []);
    assert.deepEqual(await ids(`target=${encodeURIComponent(targetOf(open))}`), [openIncident.id]);
    assert.deepEqual(await ids(`since=${encodeURIComponent(openIncident.firstSeen)}`), [openIncident.id]);
    assert.deepEqual(await ids('since=2999-01-01T00:00:00Z'), []);
    const bad = await get('/v1/incidents?severity=P9');
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /severity/);
  });

  it('pages newest first with a cursor, without gaps or repeats, and refuses a forged cursor', async () => {
    const first = (await get('/v1/incidents?limit=1')).json();
    assert.deepEqual(
      first.items.map((i: { id: string }) => i.id),
      [openIncident.id],
    );
    assert.equal(typeof first.nextCursor, 'string');
    const second = (await get(`/v1/incidents?limit=1&cursor=${first.nextCursor}`)).json();
    assert.deepEqual(
      second.items.map((i: { id: string }) => i.id),
      [healedResult.incidentId],
    );
    assert.equal(second.nextCursor, undefined);
    const outOfRange = Buffer.from('-271821-04-20T00:00:00.000Z|x').toString('base64url');
    for (const cursor of ['not-a-cursor', outOfRange]) {
      const forged = await get(`/v1/incidents?cursor=${cursor}`);
      assert.equal(forged.statusCode, 400, forged.body);
      assert.match(forged.json().message, /cursor/);
    }
  });

  it('answers 404 incident_not_found for an unknown id', async () => {
    const res = await get('/v1/incidents/no-such-incident');
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, 'incident_not_found');
  });

  it('lets a viewer read and refuses a request without a token', async () => {
    assert.equal((await get('/v1/incidents')).statusCode, 200);
    assert.equal((await get('/v1/incidents', {})).statusCode, 401);
    assert.equal((await get(`/v1/incidents/${openIncident.id}`, {})).statusCode, 401);
  });

  it('exports the MTTR of recent resolutions and the open incidents by severity on /metrics', async () => {
    const { mttrSeconds } = (await get(`/v1/incidents/${healedResult.incidentId}`)).json();
    assert.equal(await gauge('dharma_incident_mttr_seconds{severity="P3",stat="mean"}'), mttrSeconds);
    assert.equal(await gauge('dharma_incident_mttr_seconds{severity="P3",stat="p50"}'), mttrSeconds);
    assert.equal(await gauge('dharma_incident_mttr_seconds{severity="P1",stat="mean"}'), undefined);
    assert.equal(await gauge('dharma_incidents_open{severity="P1"}'), 1);
    assert.equal(await gauge('dharma_incidents_open{severity="P3"}'), 0);
  });
});
