import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import { DharmaError } from '../errors.js';

export interface WorkspaceRecord {
  workspaceId: string;
  deploymentId: string;
  blueprintId: string;
  version: string;
  environment: string;
  stack: string;
  stateSchema: string;
  configRef: string;
  configHash: string;
  createdAt: Date;
  cleanedAt: Date | null;
}

export class WorkspaceNotFound extends DharmaError {
  constructor(readonly workspaceId: string) {
    super(`workspace ${JSON.stringify(workspaceId)} does not exist`);
  }
}

/**
 * The id of a deployment's workspace for a stack in an environment: derived, not random, so a retried
 * prepare step finds the row its first attempt wrote.
 */
export function workspaceIdFor(deploymentId: string, stack: string, environment: string): string {
  const digest = createHash('sha256').update(`${deploymentId}\n${stack}\n${environment}`).digest('hex');
  return `ws_${digest.slice(0, 24)}`;
}

type NewWorkspace = Omit<WorkspaceRecord, 'createdAt' | 'cleanedAt'>;

/** Inserts the workspace, or updates its configuration when a retry synthesized it again. */
export async function saveWorkspace(db: Queryable, ws: NewWorkspace): Promise<void> {
  await db.query(
    `INSERT INTO workspaces (workspace_id, deployment_id, blueprint_id, version, environment, stack,
                             state_schema, config_ref, config_hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (workspace_id) DO UPDATE
       SET blueprint_id = EXCLUDED.blueprint_id, version = EXCLUDED.version,
           state_schema = EXCLUDED.state_schema, config_ref = EXCLUDED.config_ref,
           config_hash = EXCLUDED.config_hash, cleaned_at = NULL`,
    [
      ws.workspaceId,
      ws.deploymentId,
      ws.blueprintId,
      ws.version,
      ws.environment,
      ws.stack,
      ws.stateSchema,
      ws.configRef,
      ws.configHash,
    ],
  );
}

interface Row {
  workspace_id: string;
  deployment_id: string;
  blueprint_id: string;
  version: string;
  environment: string;
  stack: string;
  state_schema: string;
  config_ref: string;
  config_hash: string;
  created_at: Date;
  cleaned_at: Date | null;
}

/**
 * The schema holding the state of this exact stack in this environment, from its latest workspace: a
 * stack keeps the schema its deployments have used, whatever stateSchemaName would name it today.
 */
export async function stateSchemaOf(
  db: Queryable,
  stack: string,
  environment: string,
): Promise<string | undefined> {
  const { rows } = await db.query<{ state_schema: string }>(
    `SELECT state_schema FROM workspaces WHERE stack = $1 AND environment = $2
     ORDER BY created_at DESC LIMIT 1`,
    [stack, environment],
  );
  return rows[0]?.state_schema;
}

export async function getWorkspace(db: Queryable, workspaceId: string): Promise<WorkspaceRecord> {
  const { rows } = await db.query<Row>('SELECT * FROM workspaces WHERE workspace_id = $1', [workspaceId]);
  const row = rows[0];
  if (!row) throw new WorkspaceNotFound(workspaceId);
  return {
    workspaceId: row.workspace_id,
    deploymentId: row.deployment_id,
    blueprintId: row.blueprint_id,
    version: row.version,
    environment: row.environment,
    stack: row.stack,
    stateSchema: row.state_schema,
    configRef: row.config_ref,
    configHash: row.config_hash,
    createdAt: row.created_at,
    cleanedAt: row.cleaned_at,
  };
}

/** Marks the workspace cleaned; the first time counts (a retry keeps the original time). */
export async function markWorkspaceCleaned(db: Queryable, workspaceId: string): Promise<void> {
  await db.query('UPDATE workspaces SET cleaned_at = COALESCE(cleaned_at, now()) WHERE workspace_id = $1', [
    workspaceId,
  ]);
}
