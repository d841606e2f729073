import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendAudit, InvalidCursor, listAudit } from '../../lib/db/audit.js';
import { testServices } from '../harness/services.js';
import { freshDatabase } from './fresh-database.js';

// Top level: the database is dropped after the whole file (an `after` inside a hook would run at once).
const fresh = await freshDatabase(await testServices());

describe('audit log', () => {
  it('records who did what to which target, the decision, the reason and the source IP', async () => {
    await appendAudit(fresh.db, {
      actor: 'alice',
      action: 'approval.approve',
      target: 'stack/web/production',
      decision: 'approved',
      reason: 'reviewed plan',
      sourceIp: '10.1.2.3',
      workflowId: 'wf-1',
      runId: 'run-1',
      details: { changeHash: 'abc' },
    });
    const { items } = await listAudit(fresh.db, { workflowId: 'wf-1', limit: 10 });
    assert.equal(items.length, 1);
    const { id, at, ...record } = items[0]!;
    assert.ok(id > 0);
    assert.ok(Date.now() - Date.parse(at) < 60_000);
    assert.deepEqual(record, {
      actor: 'alice',
      action: 'approval.approve',
      target: 'stack/web/production',
      decision: 'approved',
      reason: 'reviewed plan',
      sourceIp: '10.1.2.3',
      workflowId: 'wf-1',
      runId: 'run-1',
      details: { changeHash: 'abc' },
    });
  });

  it('is append-only: UPDATE, DELETE and TRUNCATE fail', async () => {
    await appendAudit(fresh.db, { actor: 'mallory', action: 'x', target: 'y' });
    await assert.rejects(fresh.db.query(`UPDATE audit_log SET decision = 'approved'`), /append-only: UPDATE/);
    await assert.rejects(fresh.db.query(`DELETE FROM audit_log`), /append-only: DELETE/);
    await assert.rejects(fresh.db.query(`TRUNCATE audit_log`), /append-only: TRUNCATE/);
  });

  it('drops a second append with the same dedupe key', async () => {
    const entry = { actor: 'bob', action: 'lock.acquire', target: 'dedupe', dedupeKey: 'wf-2/3' };
    await appendAudit(fresh.db, entry);
    await appendAudit(fresh.db, { ...entry, reason: 'retried' });
    const { items } = await listAudit(fresh.db, { target: 'dedupe', limit: 10 });
    assert.equal(items.length, 1);
    assert.equal(items[0]!.reason, undefined);
  });

  it('lists newest first in pages that neither skip nor repeat rows while rows are appended', async () => {
    for (let i = 0; i < 5; i++)
      await appendAudit(fresh.db, { actor: 'pager', action: `step-${i}`, target: 'paged' });
    const first = await listAudit(fresh.db, { actor: 'pager', limit: 2 });
    assert.deepEqual(
      first.items.map((r) => r.action),
      ['step-4', 'step-3'],
    );
    await appendAudit(fresh.db, { actor: 'pager', action: 'step-5', target: 'paged' });
    const second = await listAudit(fresh.db, { actor: 'pager', limit: 2, cursor: first.nextCursor! });
    const third = await listAudit(fresh.db, { actor: 'pager', limit: 2, cursor: second.nextCursor! });
    assert.deepEqual(
      [...second.items, ...third.items].map((r) => r.action),
      ['step-2', 'step-1', 'step-0'],
    );
    assert.equal(third.nextCursor, undefined);
  });

  it('filters by action and time', async () => {
    const future = new Date(Date.now() + 3_600_000);
    assert.equal((await listAudit(fresh.db, { actor: 'pager', since: future, limit: 10 })).items.length, 0);
    assert.equal((await listAudit(fresh.db, { action: 'step-1', limit: 10 })).items.length, 1);
  });

  it('refuses a cursor it did not hand out, naming the field', async () => {
    await assert.rejects(listAudit(fresh.db, { limit: 10, cursor: 'drop table' }), (error: unknown) => {
      assert.ok(error instanceof InvalidCursor);
      assert.match(error.message, /^cursor: expected/);
      return true;
    });
  });
});
