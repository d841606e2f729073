import type { Queryable } from '../db/pool.js';
import type { StackHistory } from './features.js';

export interface StackHistoryQuery {
  /** The stack, as recorded in `runs.target`. */
  target: string;
  environment: string;
  /** The change's time: only runs created before it count. */
  at: Date;
  /** The run being scored, left out of its own history. */
  excludeWorkflowId?: string;
  workflowType?: string;
}

/** How many finished runs the failure rate looks back over (the model was trained on 10). */
export const FAILURE_RATE_WINDOW = 10;
const FAILED_STATES = ['failed', 'rolled_back'];
const FINISHED_STATES = ['completed', ...FAILED_STATES];

/** The stack's record in `runs`: failure rate of its last finished runs and its runs in the last 7 days. */
export async function stackHistory(db: Queryable, query: StackHistoryQuery): Promise<StackHistory> {
  const { rows } = await db.query<{ failure_rate: number | null; recent: number }>(
    `WITH stack_runs AS (
       SELECT state, created_at FROM runs
       WHERE workflow_type = $1 AND target = $2 AND environment = $3 AND created_at < $4
         AND workflow_id IS DISTINCT FROM $5
     ), finished AS (
       SELECT state FROM stack_runs WHERE state = ANY($6) ORDER BY created_at DESC LIMIT $7
     )
     SELECT (SELECT avg((state = ANY($8))::int)::float8 FROM finished) AS failure_rate,
            (SELECT count(*)::int FROM stack_runs WHERE created_at >= $4::timestamptz - interval '7 days') AS recent`,
    [
      query.workflowType ?? 'provision',
      query.target,
      query.environment,
      query.at,
      query.excludeWorkflowId ?? null,
      FINISHED_STATES,
      FAILURE_RATE_WINDOW,
      FAILED_STATES,
    ],
  );
  const row = rows[0];
  return { recentFailureRate: row?.failure_rate ?? 0, deploymentsLast7Days: row?.recent ?? 0 };
}
