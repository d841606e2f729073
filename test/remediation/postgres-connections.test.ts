import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import pg from 'pg';
import { createPostgresConnectionActions } from '../../activities/cloud/remediation/postgres-connections.js';
import { freshDatabase } from '../db/fresh-database.js';
import { onCleanup } from '../harness/cleanup.js';
import { testServices } from '../harness/services.js';
import { nonRetryableFailureOf } from '../harness/failures.js';

const services = await testServices();
const fresh = await freshDatabase(services, { migrated: false });
// No connectionUrl in the inputs below: the action defaults to the worker's own database (its pool's URL).
const { terminateIdlePostgresConnections: terminate } = createPostgresConnectionActions({
  db: fresh.db,
  env: {},
});

/** Opens a session that stays idle after one query, in opening order (so the first is the oldest idle). */
async function openIdle(
  applicationName: string,
  count: number,
): Promise<Array<{ client: pg.Client; pid: number }>> {
  const sessions = [];
  for (let i = 0; i < count; i++) {
    const client = new pg.Client({ connectionString: fresh.url, application_name: applicationName });
    // A terminated session reports an error on the idle client; the test checks the pids instead.
    client.on('error', () => {});
    await client.connect();
    onCleanup(() => client.end().catch(() => undefined));
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    sessions.push({ client, pid });
    await sleep(20);
  }
  return sessions;
}

async function alivePids(pids: number[]): Promise<number[]> {
  const admin = new pg.Client({ connectionString: fresh.url });
  await admin.connect();
  try {
    const rows = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE pid = ANY($1)', [
      pids,
    ]);
    return rows.rows.map((row) => row.pid).sort((a, b) => a - b);
  } finally {
    await admin.end();
  }
}

const rejection = (promise: Promise<unknown>) => nonRetryableFailureOf(promise);

describe('terminateIdlePostgresConnections', () => {
  it('terminates sessions idle longer than idleFor, sparing active and excluded ones', async () => {
    const victims = await openIdle('leaky-app', 4);
    const [keeper] = await openIdle('keeper', 1);
    const busy = (await openIdle('busy', 1))[0]!;
    const running = busy.client.query('SELECT pg_sleep(2)');
    await sleep(600);

    const result = await terminate({
      idleFor: '400ms',
      maxToTerminate: 10,
      excludeApplicationNames: ['keeper'],
    });

    const victimPids = victims.map((v) => v.pid).sort((a, b) => a - b);
    assert.deepEqual(
      [...result.terminatedPids].sort((a, b) => a - b),
      victimPids,
    );
    assert.deepEqual(await alivePids(victimPids), []);
    assert.ok(result.after, result.afterUnknown);
    assert.equal(result.before.total - result.after.total, 4);
    assert.equal(result.after.idle, result.before.idle - 4);
    assert.equal((await keeper!.client.query('SELECT 1 AS one')).rows[0].one, 1);
    await running;
    assert.equal((await busy.client.query('SELECT 1 AS one')).rows[0].one, 1);
    await Promise.all([keeper!.client.end(), busy.client.end()]);
  });

  it('terminates oldest first, within maxToTerminate and keepAtLeast, and converges on re-runs', async () => {
    const sessions = await openIdle('pool', 5);
    await sleep(500);
    const input = { idleFor: '300ms', keepAtLeast: 2, maxToTerminate: 2 };

    const first = await terminate(input);
    assert.deepEqual(
      first.terminatedPids.sort((a, b) => a - b),
      [sessions[0]!.pid, sessions[1]!.pid].sort((a, b) => a - b),
    );
    assert.equal(first.spared, 3);
    const second = await terminate(input);
    assert.deepEqual(second.terminatedPids, [sessions[2]!.pid]);
    const third = await terminate(input);
    assert.deepEqual(third.terminatedPids, []);
    assert.equal(third.before.total, third.after?.total);
    assert.deepEqual(
      await alivePids(sessions.slice(3).map((s) => s.pid)),
      sessions
        .slice(3)
        .map((s) => s.pid)
        .sort((a, b) => a - b),
    );
  });

  it('never terminates sessions younger than idleFor', async () => {
    const fresh = await openIdle('young', 2);
    const result = await terminate({ idleFor: '5m', maxToTerminate: 10 });
    assert.deepEqual(result.terminatedPids, []);
    assert.equal((await alivePids(fresh.map((s) => s.pid))).length, 2);
  });

  it('refuses bad input without retrying, naming the field', async () => {
    const missing = await rejection(terminate({} as never));
    assert.equal(missing.type, 'InvalidRemediationInput');
    assert.match(missing.message, /terminateIdlePostgresConnections: maxToTerminate: expected an integer/);
    assert.match(
      (await rejection(terminate({ maxToTerminate: 1, idleFor: 'soon' }))).message,
      /idleFor: expected a duration such as 500ms, 30s, 5m, got "soon"/,
    );
    assert.match(
      (await rejection(terminate({ maxToTerminate: 1, excludeApplicationNames: 'x' as never }))).message,
      /excludeApplicationNames: expected an array of strings/,
    );
  });
});
