import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { listAudit } from '../../lib/db/audit.js';
import { apiFixture, bearer, until } from './api-fixture.js';

const f = await apiFixture({ workers: true });
const operator = await f.token('olga', ['operator']);
const approver = await f.token('aaron', ['approver']);
const admin = await f.token('ada', ['admin']);

function changeInput(environment: string, extra: Record<string, unknown> = {}) {
  return {
    target: `web-${Math.random().toString(36).slice(2, 8)}`,
    environment,
    summary: 'raise replicas',
    change: { replicas: 3 },
    approval: { required: true },
    ...extra,
  };
}

const startRun = (token: string, payload: unknown, headers: Record<string, string> = {}) =>
  f.app.inject({
    method: 'POST',
    url: '/v1/runs',
    headers: { ...bearer(token), ...headers },
    payload: payload as object,
  });
const getRun = async (id: string, token = operator) =>
  (await f.app.inject({ method: 'GET', url: `/v1/runs/${id}`, headers: bearer(token) })).json();

describe('POST /v1/runs', () => {
  it('starts a registered workflow: 202 with ids and links, search attributes, a runs row', async () => {
    const input = changeInput('staging');
    const res = await startRun(operator, { workflowType: 'changeRequest', input });
    assert.equal(res.statusCode, 202, res.body);
    const body = res.json();
    assert.equal(body.status, 'RUNNING');
    assert.equal(body.workflowType, 'changeRequest');
    assert.equal(body.links.self, `/v1/runs/${body.workflowId}`);
    assert.equal(
      body.links.temporalUi,
      `http://ui.test/namespaces/dharma/workflows/${body.workflowId}/${body.runId}`,
    );
    const description = await f.client.workflow.getHandle(body.workflowId).describe();
    assert.equal(description.taskQueue, `${f.prefix}-orchestration`);
    const { rows } = await f.db.query(
      'SELECT requester, environment, target FROM runs WHERE workflow_id = $1',
      [body.workflowId],
    );
    assert.deepEqual(rows[0], { requester: 'olga', environment: 'staging', target: input.target });
    const detail = await until(
      () => getRun(body.workflowId),
      (d) => d.approval?.state === 'pending',
    );
    assert.equal(detail.requester, 'olga', 'requester comes from the token subject');
    assert.equal(detail.environment, 'staging');
    assert.equal(typeof detail.progress.step, 'string');
  });

  it('never starts a second run under the id of a closed one; a key finds the run it started', async () => {
    const closed = async (workflowId: string) => {
      const handle = f.client.workflow.getHandle(workflowId);
      await handle.cancel();
      await handle.result().catch(() => undefined);
    };
    const input = changeInput('staging');
    const workflowId = `explicit-${Math.random().toString(36).slice(2, 10)}`;
    const first = await startRun(operator, { workflowType: 'changeRequest', input, workflowId });
    assert.equal(first.statusCode, 202, first.body);
    await closed(workflowId);
    const again = await startRun(operator, { workflowType: 'changeRequest', input, workflowId });
    assert.equal(again.statusCode, 409, again.body);
    assert.equal(again.json().error, 'run_exists');

    // With a key whose stored answer is gone (expired, or never stored after a failed response), the
    // closed run the key started is the answer, not a second run.
    const key = `closed-${Date.now()}`;
    const keyed = await startRun(
      operator,
      { workflowType: 'changeRequest', input },
      { 'idempotency-key': key },
    );
    assert.equal(keyed.statusCode, 202, keyed.body);
    await closed(keyed.json().workflowId);
    await f.db.query('DELETE FROM idempotency_keys WHERE key = $1', [key]);
    const retried = await startRun(
      operator,
      { workflowType: 'changeRequest', input },
      { 'idempotency-key': key },
    );
    assert.equal(retried.statusCode, 202, retried.body);
    assert.equal(retried.json().runId, keyed.json().runId);
  });

  it('answers 400 naming the failing input field and its expected shape', async () => {
    const res = await startRun(operator, {
      workflowType: 'changeRequest',
      input: { ...changeInput('staging'), target: 42 },
    });
    assert.equal(res.statusCode, 400);
    const problem = res.json().details.find((p: { field: string }) => p.field === '/input/target');
    assert.equal(problem.expected.type, 'string');
    assert.match(res.json().message, /input\/target must be string/);
    assert.doesNotMatch(res.body, /at .*\.ts:\d+/, 'no stack trace');
    const requester = await startRun(operator, {
      workflowType: 'changeRequest',
      input: { ...changeInput('staging'), requester: 'x' },
    });
    assert.equal(requester.statusCode, 400, 'the requester cannot be chosen by the client');
  });

  it('answers 404 for an unknown workflow type, listing the known ones', async () => {
    const res = await startRun(operator, { workflowType: 'deploy-everything', input: {} });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(res.json().details.known.sort(), ['changeRequest', 'doctor', 'provision']);
    assert.match(res.json().message, /known types: .*changeRequest/);
  });

  it('replays the first response for a retried Idempotency-Key and refuses another body with 409', async () => {
    const key = `key-${Date.now()}`;
    const input = changeInput('staging');
    const first = await startRun(
      operator,
      { workflowType: 'changeRequest', input },
      { 'idempotency-key': key },
    );
    assert.equal(first.statusCode, 202);
    const retry = await startRun(
      operator,
      { workflowType: 'changeRequest', input },
      { 'idempotency-key': key },
    );
    assert.equal(retry.statusCode, 202);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.deepEqual(retry.json(), first.json());
    const other = await startRun(
      operator,
      { workflowType: 'changeRequest', input: { ...input, summary: 'other' } },
      { 'idempotency-key': key },
    );
    assert.equal(other.statusCode, 409);
    assert.equal(other.json().error, 'idempotency_key_reused');
  });

  it('starts one workflow for concurrent duplicates with the same key', async () => {
    const key = `burst-${Date.now()}`;
    const payload = { workflowType: 'changeRequest', input: changeInput('staging') };
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => startRun(operator, payload, { 'idempotency-key': key })),
    );
    const started = responses.filter((r) => r.statusCode === 202);
    assert.ok(started.length >= 1);
    assert.ok(
      responses.every((r) => r.statusCode === 202 || r.json().error === 'idempotent_request_in_progress'),
    );
    assert.equal(new Set(started.map((r) => r.json().runId)).size, 1, 'every 202 names the same run');
    const { rows } = await f.db.query(
      'SELECT count(*)::int AS n FROM runs WHERE requester = $1 AND target = $2',
      ['olga', payload.input.target],
    );
    assert.equal(rows[0].n, 1);
  });

  it('puts production starts behind the zero-trust check and audits the decision', async () => {
    const unknownDevice = await f.token('uma', ['operator'], { devicePosture: null });
    const denied = await startRun(unknownDevice, {
      workflowType: 'changeRequest',
      input: changeInput('production'),
    });
    assert.equal(denied.statusCode, 403);
    assert.equal(typeof denied.json().details.score, 'number');
    assert.match(denied.json().details.decision, /CHALLENGE|DENY/);
    const granted = await startRun(operator, {
      workflowType: 'changeRequest',
      input: changeInput('production'),
    });
    assert.equal(granted.statusCode, 202, granted.body);
    const denials = await listAudit(f.db, { actor: 'uma', action: 'AccessDenied', limit: 5 });
    assert.equal(denials.items.length, 1);
    assert.equal(denials.items[0]?.sourceIp, '127.0.0.1');
    assert.equal(
      (await listAudit(f.db, { actor: 'olga', action: 'AccessGranted', limit: 5 })).items.length,
      1,
    );
  });
});

describe('approvals and cancellation', () => {
  it('approves over the API: four-eyes and stale hashes refused, decision audited with the source IP', async () => {
    const started = (
      await startRun(operator, { workflowType: 'changeRequest', input: changeInput('staging') })
    ).json();
    const id: string = started.workflowId;
    const pending = await until(
      () => getRun(id),
      (d) => d.approval?.state === 'pending',
    );
    const approve = (token: string, changeHash: string) =>
      f.app.inject({
        method: 'POST',
        url: `/v1/runs/${id}/approvals`,
        headers: bearer(token),
        payload: { decision: 'approve', changeHash, reason: 'looks right' },
      });

    const viewer = await approve(await f.token('vic', ['viewer']), pending.approval.changeHash);
    assert.equal(viewer.statusCode, 403, 'viewers lack runs:approve');
    const own = await approve(await f.token('olga', ['admin']), pending.approval.changeHash);
    assert.equal(own.statusCode, 403);
    assert.match(own.json().message, /four-eyes/);
    const stale = await approve(approver, 'sha256:stale');
    assert.equal(stale.statusCode, 409);
    assert.match(stale.json().message, /stale change hash/);

    const ok = await approve(approver, pending.approval.changeHash);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().decision, 'approved');
    assert.equal(ok.json().approver, 'aaron');
    const done = await until(
      () => getRun(id),
      (d) => d.status !== 'RUNNING',
    );
    assert.equal(done.status, 'COMPLETED');
    assert.equal(done.result.status, 'completed');

    const audit = await listAudit(f.db, { workflowId: id, action: 'run.approve', limit: 10 });
    const decisions = audit.items.map((e) => e.decision).sort();
    assert.deepEqual(decisions, ['approved', 'refused', 'refused']);
    assert.ok(audit.items.every((e) => e.sourceIp === '127.0.0.1'));
  });

  it('cancels a running run (202, audited) and refuses to cancel it twice', async () => {
    const started = (
      await startRun(operator, { workflowType: 'changeRequest', input: changeInput('staging') })
    ).json();
    const id: string = started.workflowId;
    await until(
      () => getRun(id),
      (d) => d.approval?.state === 'pending',
    );
    const cancel = () =>
      f.app.inject({
        method: 'POST',
        url: `/v1/runs/${id}/cancel`,
        headers: bearer(admin),
        payload: { reason: 'not today' },
      });
    const res = await cancel();
    assert.equal(res.statusCode, 202, res.body);
    const closed = await until(
      () => getRun(id),
      (d) => d.status !== 'RUNNING',
    );
    assert.ok(['CANCELLED', 'FAILED', 'COMPLETED'].includes(closed.status));
    assert.equal((await cancel()).statusCode, 409);
    const audit = await listAudit(f.db, { workflowId: id, action: 'run.cancel', limit: 5 });
    assert.equal(audit.items[0]?.reason, 'not today');
    const missing = await f.app.inject({
      method: 'POST',
      url: '/v1/runs/no-such-run/cancel',
      headers: bearer(admin),
      payload: {},
    });
    assert.equal(missing.statusCode, 404);
  });
});

describe('GET /v1/runs and /v1/audit', () => {
  it('lists runs through visibility with filters and cursor pagination', async () => {
    const env = `list-${Date.now()}`;
    for (let i = 0; i < 3; i++)
      await startRun(operator, { workflowType: 'changeRequest', input: changeInput(env) });
    const page = (cursor?: string) =>
      f.app
        .inject({
          method: 'GET',
          url: `/v1/runs?environment=${env}&workflowType=changeRequest&status=RUNNING&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
          headers: bearer(operator),
        })
        .then((r) => r.json());
    const first = await until(
      () => page(),
      (p) => p.items?.length === 2 && p.nextCursor !== undefined,
    );
    const second = await page(first.nextCursor);
    const ids = new Set([...first.items, ...second.items].map((r: { workflowId: string }) => r.workflowId));
    assert.equal(ids.size, 3);
    assert.ok(
      first.items.every(
        (r: { environment: string; requester: string }) => r.environment === env && r.requester === 'olga',
      ),
    );
    const bad = await f.app.inject({
      method: 'GET',
      url: `/v1/runs?status=SLEEPING`,
      headers: bearer(operator),
    });
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.json().details[0].field, '/status');
  });

  it('lists the audit log for audit:read holders, with a cursor', async () => {
    const first = await f.app.inject({ method: 'GET', url: '/v1/audit?limit=1', headers: bearer(approver) });
    assert.equal(first.statusCode, 200);
    assert.equal(first.json().items.length, 1);
    const next = await f.app.inject({
      method: 'GET',
      url: `/v1/audit?limit=1&cursor=${first.json().nextCursor}`,
      headers: bearer(approver),
    });
    assert.ok(next.json().items[0].id < first.json().items[0].id);
    const bad = await f.app.inject({ method: 'GET', url: '/v1/audit?cursor=zzz', headers: bearer(approver) });
    assert.equal(bad.statusCode, 400);
  });
});
