import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { hmacHex, keyHash } from '../../api/webhooks/verify.js';
import { getIncident, listIncidents } from '../../lib/incidents/repository.js';
import { incidentQuery } from '../../workflows/remediation/contract.js';
import { apiFixture, until } from '../api/api-fixture.js';
import { alertmanagerPayload, grafanaPayload, pagerDutyPayload } from './payloads.js';

// Ingestion and the incident lifecycle without playbooks (test/remediation covers those): only the
// orchestration pool runs here, so no action or classifier may be asked for.
const f = await apiFixture({ workers: true, workerEnv: { REMEDIATION_AUTO_HEAL: 'false' } });
const app = await f.build({ rateLimitPerMinute: 100_000 });
const KEY = 'am-key-1';
const GRAFANA_KEY = 'grafana-key-1';
const PD_SECRET = 'pd-secret';
const GENERIC_SECRET = 'generic-secret';
await f.db.query(
  `INSERT INTO webhook_sources (source, kind, secret, key_hash) VALUES
   ('alertmanager', 'alertmanager', NULL, $1), ('grafana', 'grafana', NULL, $2),
   ('pagerduty', 'pagerduty', $3, NULL), ('generic', 'generic', $4, NULL)`,
  [keyHash(KEY), keyHash(GRAFANA_KEY), PD_SECRET, GENERIC_SECRET],
);

/** Unique per run: workflow ids are namespace-wide, and a test server outlives one file. */
const fp = (name: string) => `${f.prefix}-${name}`;

const post = (kind: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: `/v1/webhooks/${kind}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
const am = (payload: unknown, key = KEY) => post('alertmanager', payload, { authorization: `Bearer ${key}` });

function signedGeneric(body: string, timestamp = Math.floor(Date.now() / 1000)) {
  return {
    'x-dharma-timestamp': String(timestamp),
    'x-dharma-signature': `sha256=${hmacHex(GENERIC_SECRET, `${timestamp}.`, body)}`,
  };
}

async function rejected(source: string, reason: string): Promise<number> {
  const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  const line = metrics
    .split('\n')
    .find((l) => l.startsWith(`dharma_webhook_rejections_total{source="${source}",reason="${reason}"}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

const incidentOf = (fingerprint: string) =>
  until(
    () => listIncidents(f.db, { fingerprint, limit: 10 }),
    (rows) => rows.length > 0,
  ).then((rows) => rows[0]!);

describe('alert webhooks', () => {
  it('alertmanager: one workflow per alert of a grouped payload, 202 after Temporal accepted them', async () => {
    const res = await am(alertmanagerPayload([{ fingerprint: fp('a1') }, { fingerprint: fp('a2') }]));
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json();
    assert.equal(body.accepted, 2);
    assert.deepEqual(
      body.workflows.map((w: { workflowId: string }) => w.workflowId),
      [`incident-${fp('a1')}`, `incident-${fp('a2')}`],
    );
    const handle = f.client.workflow.getHandle(`incident-${fp('a1')}`);
    const state = await until(
      () => handle.query(incidentQuery),
      (s) => s?.status === 'escalated',
    );
    assert.equal(state?.severity, 'P1');
    assert.equal(state?.target, `host-${fp('a1')}:9100`);
  });

  it('grafana, pagerduty and generic receivers start their workflows', async () => {
    const grafana = await post('grafana', grafanaPayload(fp('g1')), {
      authorization: `Bearer ${GRAFANA_KEY}`,
    });
    assert.equal(grafana.statusCode, 202, grafana.body);
    const pdBody = JSON.stringify(pagerDutyPayload(fp('pd1')));
    const pd = await post('pagerduty', pdBody, {
      'x-pagerduty-signature': `v1=${hmacHex(PD_SECRET, pdBody)}`,
    });
    assert.equal(pd.statusCode, 202, pd.body);
    const genericBody = JSON.stringify({ alertName: 'DiskFull', fingerprint: fp('gen1'), severity: 'info' });
    const generic = await post('generic', genericBody, signedGeneric(genericBody));
    assert.equal(generic.statusCode, 202, generic.body);

    assert.deepEqual(
      {
        grafana: (await incidentOf(fp('g1'))).severity,
        pagerduty: (await incidentOf(fp('pd1'))).severity,
        generic: (await incidentOf(fp('gen1'))).severity,
      },
      { grafana: 'P3', pagerduty: 'P2', generic: 'P4' },
    );
    assert.equal((await incidentOf(fp('g1'))).target, 'checkout');
  });

  it('refuses wrong keys, forged signatures, stale timestamps and replays with 401, counted', async () => {
    const before = {
      badKey: await rejected('alertmanager', 'bad_key'),
      pd: await rejected('pagerduty', 'bad_signature'),
      stale: await rejected('generic', 'stale'),
      replayed: await rejected('generic', 'replayed'),
    };
    assert.equal((await am(alertmanagerPayload([{ fingerprint: fp('x') }]), 'wrong')).statusCode, 401);
    const pdBody = JSON.stringify(pagerDutyPayload(fp('pdx')));
    const forged = await post('pagerduty', pdBody, {
      'x-pagerduty-signature': `v1=${hmacHex('guess', pdBody)}`,
    });
    assert.equal(forged.statusCode, 401);
    const body = JSON.stringify({ alertName: 'Late', fingerprint: fp('late') });
    const stale = await post('generic', body, signedGeneric(body, Math.floor(Date.now() / 1000) - 301));
    assert.equal(stale.statusCode, 401);
    assert.equal(stale.json().details.reason, 'stale');
    const fresh = JSON.stringify({ alertName: 'Once', fingerprint: fp('once') });
    const headers = signedGeneric(fresh);
    assert.equal((await post('generic', fresh, headers)).statusCode, 202);
    const replay = await post('generic', fresh, headers);
    assert.equal(replay.statusCode, 401);
    assert.equal(replay.json().details.reason, 'replayed');
    assert.equal((await post('grafana', grafanaPayload(fp('nokey')))).statusCode, 401);
    const oddSource = await app.inject({
      method: 'POST',
      url: `/v1/webhooks/alertmanager?source=${encodeURIComponent('☃\nx')}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
      payload: JSON.stringify(alertmanagerPayload([{ fingerprint: fp('odd') }])),
    });
    assert.equal(oddSource.statusCode, 401, 'a source name no header can carry is still a catalog 401');
    assert.equal(oddSource.json().details.reason, 'unknown_source');

    assert.deepEqual(
      {
        badKey: await rejected('alertmanager', 'bad_key'),
        pd: await rejected('pagerduty', 'bad_signature'),
        stale: await rejected('generic', 'stale'),
        replayed: await rejected('generic', 'replayed'),
      },
      {
        badKey: before.badKey + 1,
        pd: before.pd + 1,
        stale: before.stale + 1,
        replayed: before.replayed + 1,
      },
    );
  });

  it('refuses a signature with anything appended, and a PagerDuty event sent again or too old', async () => {
    const body = JSON.stringify({ alertName: 'Padded', fingerprint: fp('padded') });
    const headers = signedGeneric(body);
    for (const extra of ['x', '0', 'zz']) {
      const padded = await post('generic', body, {
        ...headers,
        'x-dharma-signature': `${headers['x-dharma-signature']}${extra}`,
      });
      assert.equal(padded.statusCode, 401, `signature + ${extra}`);
      assert.equal(padded.json().details.reason, 'bad_signature');
    }
    assert.equal((await post('generic', body, headers)).statusCode, 202, 'the exact signature, once');

    const pdSigned = (payload: unknown) => {
      const text = JSON.stringify(payload);
      return [text, { 'x-pagerduty-signature': `v1=${hmacHex(PD_SECRET, text)}` }] as const;
    };
    const [event, eventHeaders] = pdSigned(pagerDutyPayload(fp('pd-once')));
    assert.equal((await post('pagerduty', event, eventHeaders)).statusCode, 202);
    const again = await post('pagerduty', event, eventHeaders);
    assert.equal(again.statusCode, 401);
    assert.equal(again.json().details.reason, 'replayed');
    const dayAgo = new Date(Date.now() - 25 * 3_600_000).toISOString();
    const old = await post(
      'pagerduty',
      ...pdSigned(pagerDutyPayload(fp('pd-old'), 'incident.triggered', dayAgo)),
    );
    assert.equal(old.statusCode, 401);
    assert.equal(old.json().details.reason, 'stale');
  });

  it('gives a refused request its signature back, so the same request sent again is answered the same', async () => {
    const body = JSON.stringify({ alertName: 'Broken', fingerprint: fp('broken'), status: 'burning' });
    const headers = signedGeneric(body);
    const first = await post('generic', body, headers);
    assert.equal(first.statusCode, 400, first.body);
    const retry = await post('generic', body, headers);
    assert.equal(retry.statusCode, 400, 'not refused as a replay');
  });

  it('answers 400 naming the field of a malformed payload', async () => {
    const payload = alertmanagerPayload([{ fingerprint: fp('bad') }]);
    const broken = { ...payload, alerts: [{ ...payload.alerts[0], status: 'burning' }] };
    const res = await am(broken);
    assert.equal(res.statusCode, 400);
    assert.match(res.json().message, /\/alerts\/0\/status/);
    const notJson = await am('{"version":');
    assert.equal(notJson.statusCode, 400);
    assert.match(notJson.json().message, /not valid JSON/);
  });

  it('a firing then resolved alert makes one incident that resolves with a timeline and MTTR', async () => {
    const fingerprint = fp('life');
    assert.equal((await am(alertmanagerPayload([{ fingerprint, severity: 'warning' }]))).statusCode, 202);
    assert.equal((await am(alertmanagerPayload([{ fingerprint, severity: 'warning' }]))).statusCode, 202);
    const resolved = await am(
      alertmanagerPayload([{ fingerprint, severity: 'warning', status: 'resolved' }]),
    );
    assert.equal(resolved.statusCode, 202);
    const result = await f.client.workflow.getHandle(`incident-${fingerprint}`).result();
    assert.equal(result.status, 'resolved');
    assert.equal(result.notifications, 3);
    const incidents = await listIncidents(f.db, { fingerprint, limit: 10 });
    assert.equal(incidents.length, 1);
    const incident = await getIncident(f.db, incidents[0]!.id);
    assert.equal(incident?.status, 'resolved');
    assert.equal(incident?.notifications, 3);
    assert.ok(incident?.resolvedAt && incident.mttrSeconds !== undefined && incident.mttrSeconds >= 0);
    const kinds = incident.timeline.map((e) => e.kind);
    assert.equal(kinds[0], 'detected');
    assert.equal(kinds[1], 'triaged');
    assert.equal(kinds.at(-1), 'resolved');
    const { rows } = await f.db.query(
      "SELECT count(*)::int AS n FROM events_outbox WHERE event_type = 'IncidentDetected' AND aggregate_id = $1",
      [incident.id],
    );
    assert.equal(rows[0].n, 1);
  });

  it('an alert that fires again after its incident resolved opens a second incident, recorded as its own', async () => {
    const fingerprint = fp('flapping');
    const occurrence = async (notifications: number) => {
      for (let i = 0; i < notifications; i++) {
        assert.equal((await am(alertmanagerPayload([{ fingerprint, severity: 'warning' }]))).statusCode, 202);
      }
      await am(alertmanagerPayload([{ fingerprint, severity: 'warning', status: 'resolved' }]));
      return f.client.workflow.getHandle(`incident-${fingerprint}`).result();
    };
    const first = await occurrence(1);
    const second = await occurrence(2);
    assert.notEqual(second.incidentId, first.incidentId);

    const incidents = await listIncidents(f.db, { fingerprint, limit: 10 });
    assert.equal(incidents.length, 2);
    const again = await getIncident(f.db, second.incidentId);
    assert.equal(again?.status, 'resolved', 'its status changes are written, not taken for the first');
    assert.equal(again?.notifications, 3);
    const kinds = again?.timeline.map((e) => e.kind) ?? [];
    assert.deepEqual([kinds[0], kinds[1], kinds.at(-1)], ['detected', 'triaged', 'resolved']);
    const { rows } = await f.db.query<{ aggregate_id: string }>(
      "SELECT aggregate_id FROM events_outbox WHERE event_type = 'IncidentDetected' AND aggregate_id = ANY($1)",
      [[first.incidentId, second.incidentId]],
    );
    assert.deepEqual(rows.map((r) => r.aggregate_id).sort(), [first.incidentId, second.incidentId].sort());
  });

  it('a storm of 2,000 notifications over 200 fingerprints: 200 workflows, every notification counted', async () => {
    const storm = randomUUID().slice(0, 8);
    const fingerprints = Array.from({ length: 200 }, (_, i) => fp(`storm-${storm}-${i}`));
    // 100 grouped payloads of 20 alerts; each fingerprint appears 10 times over the storm.
    const payloads = Array.from({ length: 100 }, (_, p) =>
      alertmanagerPayload(
        Array.from({ length: 20 }, (_, i) => ({
          fingerprint: fingerprints[(p * 20 + i) % 200]!,
          severity: 'info',
        })),
      ),
    );
    const responses = await Promise.all(payloads.map((payload) => am(payload)));
    assert.deepEqual(new Set(responses.map((r) => r.statusCode)), new Set([202]));
    const counted = await until(
      async () => {
        const { rows } = await f.db.query(
          `SELECT count(*)::int AS incidents, coalesce(sum(notifications), 0)::int AS notifications
           FROM incidents WHERE fingerprint LIKE $1`,
          [`${f.prefix}-storm-${storm}-%`],
        );
        return rows[0] as { incidents: number; notifications: number };
      },
      (r) => r.notifications >= 2000,
      60_000,
    );
    assert.deepEqual(counted, { incidents: 200, notifications: 2000 });
    const query = `WorkflowId STARTS_WITH "incident-${f.prefix}-storm-${storm}-"`;
    const workflows = await until(
      async () => (await f.client.workflow.count(query)).count,
      (n) => n >= 200,
    );
    assert.equal(workflows, 200);
  });
});
