import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../../lib/net.js';
import { apiFixture, bearer } from './api-fixture.js';

const f = await apiFixture();
const closedPort = await freePort();
const unreachable = new Client({
  connection: Connection.lazy({ address: `127.0.0.1:${closedPort}` }),
  namespace: 'dharma',
});
const offline = await f.build({ temporal: unreachable, temporalTimeoutMs: 1000 });
const operator = await f.token('olga', ['operator']);
const input = { target: 'web', environment: 'staging', summary: 's', change: { a: 1 } };

describe('API resilience', () => {
  it('answers 503 with Retry-After when Temporal is unreachable, and keeps no idempotent success', async () => {
    const key = 'offline-1';
    const request = () =>
      offline.inject({
        method: 'POST',
        url: '/v1/runs',
        headers: { ...bearer(operator), 'idempotency-key': key },
        payload: { workflowType: 'changeRequest', input },
      });
    const res = await request();
    assert.equal(res.statusCode, 503);
    assert.ok(Number(res.headers['retry-after']) > 0);
    assert.equal(res.json().details.dependency, 'Temporal');
    const { rows } = await f.db.query('SELECT count(*)::int AS n FROM idempotency_keys WHERE key = $1', [
      key,
    ]);
    assert.equal(rows[0].n, 0, 'the key is free for the retry');
    assert.equal((await f.db.query('SELECT count(*)::int AS n FROM runs')).rows[0].n, 0);
    // The retry with the same key against a reachable Temporal starts the run.
    const retry = await f.app.inject({
      method: 'POST',
      url: '/v1/runs',
      headers: { ...bearer(operator), 'idempotency-key': key },
      payload: { workflowType: 'changeRequest', input },
    });
    assert.equal(retry.statusCode, 202);
    await f.client.workflow.getHandle(retry.json().workflowId).terminate('test cleanup');
  });

  it('reports readiness per dependency: ready, or 503 naming Temporal', async () => {
    const ready = await f.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().checks.postgresql.ok, true);
    const notReady = await offline.inject({ method: 'GET', url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.match(notReady.json().message, /^Temporal unavailable/);
    assert.equal(notReady.json().checks.postgresql.ok, true);
    assert.equal(
      (await offline.inject({ method: 'GET', url: '/healthz' })).statusCode,
      200,
      'liveness needs no dependency',
    );
  });

  it('rate-limits per client IP with 429 and Retry-After', async () => {
    const limited = await f.build({ rateLimitPerMinute: 3 });
    const codes: number[] = [];
    let last;
    for (let i = 0; i < 4; i++) {
      last = await limited.inject({ method: 'GET', url: '/healthz' });
      codes.push(last.statusCode);
    }
    assert.deepEqual(codes, [200, 200, 200, 429]);
    assert.ok(Number(last?.headers['retry-after']) > 0);
    assert.equal(last?.json().error, 'rate_limited');
    const other = await limited.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.1.2.3' });
    assert.equal(other.statusCode, 200, 'another IP has its own budget');
  });

  it('answers unknown routes with a 404 error body', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/v2/nothing' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json().error, 'not_found');
  });
});
