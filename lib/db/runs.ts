import type { Queryable } from './pool.js';

/** What Dharma keeps about a run besides Temporal's history: enough to list and report without Temporal. */
export interface RunSummary {
  workflowId: string;
  runId: string;
  workflowType: string;
  requester?: string;
  environment?: string;
  target?: string;
  state: string;
  step?: string;
  result?: unknown;
  failure?: string;
}

export interface RunRecord extends RunSummary {
  createdAt: string;
  updatedAt: string;
}

/**
 * Insert or update the run's row. Writing the same summary twice leaves the same row, so Temporal
 * retries and resets of the recording activity are harmless; created_at keeps the first write.
 */
export async function upsertRun(db: Queryable, run: RunSummary): Promise<void> {
  await db.query(
    `INSERT INTO runs (workflow_id, run_id, workflow_type, requester, environment, target, state, step, result, failure)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (workflow_id) DO UPDATE SET
       run_id = EXCLUDED.run_id,
       workflow_type = EXCLUDED.workflow_type,
       requester = COALESCE(EXCLUDED.requester, runs.requester),
       environment = COALESCE(EXCLUDED.environment, runs.environment),
       target = COALESCE(EXCLUDED.target, runs.target),
       state = EXCLUDED.state,
       step = EXCLUDED.step,
       result = EXCLUDED.result,
       failure = EXCLUDED.failure,
       updated_at = now()`,
    [
      run.workflowId,
      run.runId,
      run.workflowType,
      run.requester ?? null,
      run.environment ?? null,
      run.target ?? null,
      run.state,
      run.step ?? null,
      run.result === undefined ? null : JSON.stringify(run.result),
      run.failure ?? null,
    ],
  );
}

interface RunRow {
  workflow_id: string;
  run_id: string;
  workflow_type: string;
  requester: string | null;
  environment: string | null;
  target: string | null;
  state: string;
  step: string | null;
  result: unknown;
  failure: string | null;
  created_at: Date;
  updated_at: Date;
}

export async function getRun(db: Queryable, workflowId: string): Promise<RunRecord | undefined> {
  const { rows } = await db.query<RunRow>('SELECT * FROM runs WHERE workflow_id = $1', [workflowId]);
  const row = rows[0];
  if (!row) return undefined;
  return {
    workflowId: row.workflow_id,
    runId: row.run_id,
    workflowType: row.workflow_type,
    ...(row.requester !== null ? { requester: row.requester } : {}),
    ...(row.environment !== null ? { environment: row.environment } : {}),
    ...(row.target !== null ? { target: row.target } : {}),
    state: row.state,
    ...(row.step !== null ? { step: row.step } : {}),
    ...(row.result !== null ? { result: row.result } : {}),
    ...(row.failure !== null ? { failure: row.failure } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
