import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { migrate, MIGRATIONS_TABLE } from '../../lib/db/migrate.js';
import { testServices } from '../harness/services.js';
import { freshDatabase } from './fresh-database.js';

// Top level: the database is dropped after the whole file (an `after` inside a hook would run at once).
const fresh = await freshDatabase(await testServices(), { migrated: false });

describe('database migrations', () => {
  it('create every table on an empty database, even when several processes migrate at once', async () => {
    await Promise.all([migrate(fresh.url), migrate(fresh.url), migrate(fresh.url)]);
    const { rows } = await fresh.db.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`,
    );
    const tables = rows.map((r) => r.table_name);
    for (const table of ['audit_log', 'events_outbox', 'runs', MIGRATIONS_TABLE])
      assert.ok(tables.includes(table), table);
  });

  it('are idempotent: running them again changes nothing', async () => {
    const count = async () => (await fresh.db.query(`SELECT name FROM ${MIGRATIONS_TABLE}`)).rowCount;
    const applied = await count();
    await migrate(fresh.url);
    assert.equal(await count(), applied);
  });
});
