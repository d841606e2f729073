import type { Queryable } from '../db/pool.js';

/** Deployment states of domain section 1, in the order a successful run passes through them. */
export const DEPLOYMENT_STATES = [
  'queued',
  'validating',
  'planning',
  'awaiting_approval',
  'applying',
  'verifying',
  'completed',
  'failed',
  'rolling_back',
  'rolled_back',
] as const;
export type DeploymentState = (typeof DEPLOYMENT_STATES)[number];

/** What the saga knows about a deployment; every field but the identity is optional in an update. */
export interface DeploymentRecord {
  id: string;
  blueprintId: string;
  version: string;
  environment: string;
  stack: string;
  state: DeploymentState;
  step?: string;
  planHash?: string;
  planJsonRef?: string;
  planSummary?: unknown;
  policy?: unknown;
  cost?: unknown;
  risk?: unknown;
  approval?: unknown;
  outputs?: Record<string, unknown>;
  /** The non-secret variable values the deployment was planned with. */
  variables?: Record<string, unknown>;
  failure?: string;
  requester: string;
  approver?: string;
  runId?: string;
  createdAt?: string;
  updatedAt?: string;
  completedAt?: string;
}

export type DeploymentUpdate = Pick<
  DeploymentRecord,
  'id' | 'blueprintId' | 'version' | 'environment' | 'stack' | 'state' | 'requester'
> &
  Partial<Omit<DeploymentRecord, 'createdAt' | 'updatedAt' | 'completedAt'>>;

interface Row {
  id: string;
  blueprint_id: string;
  version: string;
  environment: string;
  stack: string;
  state: DeploymentState;
  step: string | null;
  plan_hash: string | null;
  plan_json_ref: string | null;
  plan_summary: unknown;
  policy: unknown;
  cost: unknown;
  risk: unknown;
  approval: unknown;
  outputs: Record<string, unknown> | null;
  variables: Record<string, unknown> | null;
  failure: string | null;
  requester: string;
  approver: string | null;
  run_id: string | null;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
}

function toRecord(row: Row): DeploymentRecord {
  const optional = {
    step: row.step,
    planHash: row.plan_hash,
    planJsonRef: row.plan_json_ref,
    planSummary: row.plan_summary,
    policy: row.policy,
    cost: row.cost,
    risk: row.risk,
    approval: row.approval,
    outputs: row.outputs,
    variables: row.variables,
    failure: row.failure,
    approver: row.approver,
    runId: row.run_id,
    completedAt: row.completed_at?.toISOString() ?? null,
  };
  return {
    id: row.id,
    blueprintId: row.blueprint_id,
    version: row.version,
    environment: row.environment,
    stack: row.stack,
    state: row.state,
    requester: row.requester,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
    ...Object.fromEntries(Object.entries(optional).filter(([, v]) => v !== null && v !== undefined)),
  };
}

const json = (value: unknown) => (value === undefined ? null : JSON.stringify(value));

/**
 * Inserts or updates the deployment's row. Fields absent from the update keep their value, so each saga
 * step writes only what it learned; repeating an update (activity retry) writes the same values again.
 */
export async function recordDeployment(db: Queryable, update: DeploymentUpdate): Promise<void> {
  await db.query(
    `INSERT INTO deployments (id, blueprint_id, version, environment, stack, state, step, plan_hash,
       plan_json_ref, plan_summary, policy, cost, risk, approval, outputs, failure, requester, approver, run_id,
       variables, completed_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
       CASE WHEN $6 = 'completed' THEN now() END)
     ON CONFLICT (id) DO UPDATE SET
       -- A run started without a version learns it when it loads the blueprint.
       version = EXCLUDED.version,
       state = EXCLUDED.state,
       step = COALESCE(EXCLUDED.step, deployments.step),
       plan_hash = COALESCE(EXCLUDED.plan_hash, deployments.plan_hash),
       plan_json_ref = COALESCE(EXCLUDED.plan_json_ref, deployments.plan_json_ref),
       plan_summary = COALESCE(EXCLUDED.plan_summary, deployments.plan_summary),
       policy = COALESCE(EXCLUDED.policy, deployments.policy),
       cost = COALESCE(EXCLUDED.cost, deployments.cost),
       risk = COALESCE(EXCLUDED.risk, deployments.risk),
       approval = COALESCE(EXCLUDED.approval, deployments.approval),
       outputs = COALESCE(EXCLUDED.outputs, deployments.outputs),
       failure = COALESCE(EXCLUDED.failure, deployments.failure),
       approver = COALESCE(EXCLUDED.approver, deployments.approver),
       run_id = COALESCE(EXCLUDED.run_id, deployments.run_id),
       variables = COALESCE(EXCLUDED.variables, deployments.variables),
       completed_at = CASE WHEN EXCLUDED.state = 'completed'
         THEN COALESCE(deployments.completed_at, now()) ELSE deployments.completed_at END,
       updated_at = now()`,
    [
      update.id,
      update.blueprintId,
      update.version,
      update.environment,
      update.stack,
      update.state,
      update.step ?? null,
      update.planHash ?? null,
      update.planJsonRef ?? null,
      json(update.planSummary),
      json(update.policy),
      json(update.cost),
      json(update.risk),
      json(update.approval),
      json(update.outputs),
      update.failure ?? null,
      update.requester,
      update.approver ?? null,
      update.runId ?? null,
      json(update.variables),
    ],
  );
}

/**
 * Inserts the row of a deployment that has just been started, leaving an existing one alone: starting
 * again with the same workflow id (an idempotent retry) must not set a running deployment back to queued.
 */
export async function insertDeployment(db: Queryable, deployment: DeploymentUpdate): Promise<void> {
  await db.query(
    `INSERT INTO deployments (id, blueprint_id, version, environment, stack, state, requester, run_id, variables)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
    [
      deployment.id,
      deployment.blueprintId,
      deployment.version,
      deployment.environment,
      deployment.stack,
      deployment.state,
      deployment.requester,
      deployment.runId ?? null,
      json(deployment.variables),
    ],
  );
}

export async function getDeployment(db: Queryable, id: string): Promise<DeploymentRecord | undefined> {
  const { rows } = await db.query<Row>('SELECT * FROM deployments WHERE id = $1', [id]);
  return rows[0] ? toRecord(rows[0]) : undefined;
}

/**
 * The deployment a new one of the same stack and environment replaces: the latest completed one (other
 * than `excludeId`). Its version is what an update re-applies on failure, and what a rollback goes to.
 */
export async function latestCompletedDeployment(
  db: Queryable,
  stack: string,
  environment: string,
  options: { excludeId?: string; before?: string } = {},
): Promise<DeploymentRecord | undefined> {
  const { rows } = await db.query<Row>(
    `SELECT * FROM deployments
      WHERE stack = $1 AND environment = $2 AND state = 'completed' AND id IS DISTINCT FROM $3
        AND ($4::timestamptz IS NULL OR completed_at < $4)
      ORDER BY completed_at DESC LIMIT 1`,
    [stack, environment, options.excludeId ?? null, options.before ?? null],
  );
  return rows[0] ? toRecord(rows[0]) : undefined;
}
