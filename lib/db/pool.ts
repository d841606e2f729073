import pg from 'pg';
import { intSetting, type Env } from '../config.js';

// bigint columns (audit_log.id) come back as strings by default; ids stay below 2^53, so parse them.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** A PostgreSQL pool; its size comes from DATABASE_POOL_MAX unless given. */
export function createDbPool(url: string, max?: number, env: Env = process.env): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max: max ?? intSetting('DATABASE_POOL_MAX', env) });
  // An idle client losing its connection (server restart) must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  return pool;
}

/** Anything that can run a query: a pool or a checked-out client (inside a transaction). */
export type Queryable = Pick<pg.Pool, 'query'>;
