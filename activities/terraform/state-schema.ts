import type { Queryable } from '../../lib/db/pool.js';
import { redactOutputs } from '../../lib/tofu/plan-json.js';
import type { ApplyOutcome } from './contract.js';

/** The pg backend keeps each tofu workspace's state as one row of `<schema>.states` (JSON text). */
const STATES_TABLE = 'states';
/** The tofu workspace Dharma uses: one state per stack and environment, each in a schema of its own. */
const WORKSPACE = 'default';
/** stateSchemaName only ever produces these; anything else is refused before it reaches SQL. */
const SCHEMA_NAME = /^[a-z0-9_]{1,63}$/;
const UNDEFINED_TABLE = '42P01';
const INVALID_SCHEMA = '3F000';

function quoted(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`invalid state schema name ${JSON.stringify(schema)}`);
  return `"${schema}"`;
}

interface StateInstance {
  index_key?: string | number;
  attributes?: { id?: unknown };
}

/** The state as the backend stores it (format version 4), as far as Dharma reads it. */
interface StateDocument {
  outputs?: Record<string, { value?: unknown; sensitive?: boolean }>;
  resources?: Array<{
    module?: string;
    mode?: string;
    type: string;
    name: string;
    instances?: StateInstance[];
  }>;
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

function instanceAddress(
  resource: NonNullable<StateDocument['resources']>[number],
  instance: StateInstance,
): string {
  const key = instance.index_key;
  const index = key === undefined ? '' : `[${typeof key === 'number' ? key : JSON.stringify(key)}]`;
  return `${resource.module ? `${resource.module}.` : ''}${resource.type}.${resource.name}${index}`;
}

/**
 * Outputs and managed resources of the stack's state, read from the backend's table: what `tofu show
 * -json` would print, without starting tofu and every provider of the stack to print it.
 */
export async function stateOutcome(
  db: Queryable,
  schema: string,
): Promise<Pick<ApplyOutcome, 'outputs' | 'sensitiveOutputs' | 'resources'>> {
  const { rows } = await db.query<{ data: string | null }>(
    `SELECT data FROM ${quoted(schema)}.${STATES_TABLE} WHERE name = $1`,
    [WORKSPACE],
  );
  const state = JSON.parse(rows[0]?.data ?? '{}') as StateDocument;
  const resources: ApplyOutcome['resources'] = [];
  for (const resource of state.resources ?? []) {
    if (resource.mode !== 'managed') continue;
    for (const instance of resource.instances ?? []) {
      const id = instance.attributes?.id;
      resources.push({
        address: instanceAddress(resource, instance),
        type: resource.type,
        ...(typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {}),
      });
    }
  }
  resources.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { ...redactOutputs(state.outputs ?? {}), resources };
}

/** Drops the stack's state schema (its states table with it). Dropping a missing schema is a no-op. */
export async function dropStateSchema(db: Queryable, schema: string): Promise<void> {
  await db.query(`DROP SCHEMA IF EXISTS ${quoted(schema)} CASCADE`);
}
