import type { Queryable } from '../../lib/db/pool.js';

/** The pg backend keeps each tofu workspace's state as one row of `<schema>.states` (JSON text). */
const STATES_TABLE = 'states';
/** stateSchemaName only ever produces these; anything else is refused before it reaches SQL. */
const SCHEMA_NAME = /^[a-z0-9_]{1,63}$/;
const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

function quoted(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid state schema name ${JSON.stringify(schema)}`);
  return `"${schema}"`;
}

interface StateDocument {
  resources?: Array<{ mode?: string; instances?: unknown[] }>;
}

/** Managed resource instances recorded in the stack's state; 0 when the schema does not exist. */
export async function stateResourceCount(db: Queryable, schema: string): Promise<number> {
  try {
    const { rows } = await db.query<{ data: string | null }>(
      `SELECT data FROM ${quoted(schema)}.${STATES_TABLE}`,
    );
    let count = 0;
    for (const row of rows) {
      const state = JSON.parse(row.data ?? '{}') as StateDocument;
      for (const r of state.resources ?? []) if (r.mode !== 'data') count += r.instances?.length ?? 0;
    }
    return count;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === UNDEFINED_TABLE || code === INVALID_SCHEMA) return 0;
    throw error;
  }
}

/** Drops the stack's state schema (its states table with it). Dropping a missing schema is a no-op. */
export async function dropStateSchema(db: Queryable, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${quoted(schema)} CASCADE`);
}
