import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { createDbPool } from '../../lib/db/pool.js';
import { migrate } from '../../lib/db/migrate.js';
import type { TestServices } from '../harness/services.js';
import { onCleanup } from '../harness/cleanup.js';

export interface FreshDatabase {
  url: string;
  /** A pool on the database, closed after the test file. */
  db: pg.Pool;
}

/**
 * A new, empty database in the shared test PostgreSQL, dropped after the test file, so files running in
 * parallel never see each other's rows. `migrated` (default true) applies Dharma's migrations first.
 */
export async function freshDatabase(
  services: TestServices,
  { migrated = true } = {},
): Promise<FreshDatabase> {
  const name = `test_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
  const admin = new pg.Client({ connectionString: services.databaseUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(services.databaseUrl);
  url.pathname = `/${name}`;
  if (migrated) await migrate(url.href);
  const db = createDbPool(url.href, 5);
  onCleanup(async () => {
    await db.end();
    const dropper = new pg.Client({ connectionString: services.databaseUrl });
    await dropper.connect();
    await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await dropper.end();
  });
  return { url: url.href, db };
}
