import pg from 'pg';
import type { ActivityDeps } from '../../deps.js';
import { remediationPostgresUrl } from '../probes/remediation-postgres.js';
import { fields, invalidInput, refused } from './input.js';

export interface TerminateIdleConnectionsInput {
  /** Server to act on. Default: the worker's own database (DATABASE_URL). */
  connectionUrl?: string;
  /** Database whose sessions are considered. Default: the database of the connection URL. */
  database?: string;
  /** Only sessions idle for longer than this (default 5m). */
  idleFor?: string;
  /** Idle sessions left alone, however old (default 0): the most recently used ones survive. */
  keepAtLeast?: number;
  /** Upper bound of sessions terminated in one run. */
  maxToTerminate: number;
  /** Sessions of these application_name values are never terminated. */
  excludeApplicationNames?: string[];
}

export interface SessionCounts {
  total: number;
  idle: number;
}

export interface TerminateIdleConnectionsResult {
  database: string;
  terminatedPids: number[];
  /** Idle-enough sessions left alone because of keepAtLeast or maxToTerminate. */
  spared: number;
  before: SessionCounts;
  /** Absent when the sessions could not be counted again after the termination (the reason says why). */
  after?: SessionCounts;
  afterUnknown?: string;
}

const ACTIVITY = 'terminateIdlePostgresConnections';
const APPLICATION_NAME = 'dharma-remediation';
const STATEMENT_TIMEOUT_MS = 10_000;
/** pg_terminate_backend only signals; backends take a moment to leave pg_stat_activity. */
const EXIT_WAIT_MS = 5_000;
const INSUFFICIENT_PRIVILEGE = '42501';

const COUNTS = `
  SELECT count(*)::int AS total, count(*) FILTER (WHERE state = 'idle')::int AS idle
    FROM pg_stat_activity
   WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()`;

// Oldest idle first: connection pools reuse their most recent sessions, so those are the ones to keep.
const CANDIDATES = `
  SELECT pid
    FROM pg_stat_activity
   WHERE datname = $1 AND backend_type = 'client backend' AND pid <> pg_backend_pid()
     AND state = 'idle' AND state_change < now() - make_interval(secs => $2)
     AND NOT (coalesce(application_name, '') = ANY($3::text[]))
   ORDER BY state_change ASC`;

// The state is checked again in the terminating statement: a session may have turned active since. The
// selection is materialized first because PostgreSQL may evaluate WHERE conditions in any order, and
// pg_terminate_backend must never see a row the other conditions reject.
const TERMINATE = `
  WITH chosen AS MATERIALIZED (
    SELECT pid
      FROM pg_stat_activity
     WHERE pid = ANY($1::int[]) AND state = 'idle' AND state_change < now() - make_interval(secs => $2)
  )
  SELECT pid FROM chosen WHERE pg_terminate_backend(pid)`;

const STILL_THERE = `SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ANY($1::int[])`;

/**
 * Frees connection slots by terminating sessions idle for longer than `idleFor`, oldest first, never the
 * caller's own session nor excluded applications, at most `maxToTerminate`. Idempotent: a second run finds
 * no session old enough (or only the `keepAtLeast` ones it spares).
 */
export function createPostgresConnectionActions(deps: Pick<ActivityDeps, 'db' | 'env'>) {
  return {
    async terminateIdlePostgresConnections(
      input: TerminateIdleConnectionsInput,
    ): Promise<TerminateIdleConnectionsResult> {
      const f = fields(ACTIVITY, input);
      const maxToTerminate = f.int('maxToTerminate', 1);
      const keepAtLeast = f.int('keepAtLeast', 0, undefined, 0);
      const idleSeconds = f.durationMs('idleFor', '5m') / 1000;
      const excluded = [APPLICATION_NAME, ...f.stringList('excludeApplicationNames')];
      const connectionUrl = f.optionalString('connectionUrl') ?? remediationPostgresUrl(deps);
      if (!connectionUrl) {
        invalidInput(ACTIVITY, 'connectionUrl', 'a postgres:// URL (the worker has no DATABASE_URL)', '');
      }
      let url: URL;
      try {
        url = new URL(connectionUrl);
      } catch {
        invalidInput(ACTIVITY, 'connectionUrl', 'a postgres:// URL', '<unparsable>');
      }
      const database = f.string('database', decodeURIComponent(url.pathname.slice(1)) || undefined);

      const client = new pg.Client({
        connectionString: url.href,
        application_name: APPLICATION_NAME,
        statement_timeout: STATEMENT_TIMEOUT_MS,
      });
      await client.connect();
      try {
        const counts = async () => (await client.query<SessionCounts>(COUNTS, [database])).rows[0]!;
        const before = await counts();
        const candidates = (
          await client.query<{ pid: number }>(CANDIDATES, [database, idleSeconds, excluded])
        ).rows;
        const chosen = candidates
          .slice(0, Math.max(0, candidates.length - keepAtLeast))
          .slice(0, maxToTerminate);
        let terminatedPids: number[] = [];
        if (chosen.length > 0) {
          const pids = chosen.map((row) => row.pid);
          try {
            terminatedPids = (await client.query<{ pid: number }>(TERMINATE, [pids, idleSeconds])).rows.map(
              (row) => row.pid,
            );
          } catch (error) {
            if ((error as { code?: string }).code === INSUFFICIENT_PRIVILEGE) {
              refused(
                ACTIVITY,
                `the connecting role may not terminate sessions of ${database}: ${String(error)}`,
              );
            }
            throw error;
          }
        }
        // Once sessions were terminated the action has happened: a failure to watch them leave must not
        // fail the activity, whose retry would terminate another batch.
        const after = await waitForExit(client, terminatedPids)
          .then(counts)
          .then(
            (counted) => ({ after: counted }),
            (error: unknown) => ({ afterUnknown: String(error) }),
          );
        return {
          database,
          terminatedPids,
          spared: candidates.length - terminatedPids.length,
          before,
          ...after,
        };
      } finally {
        await client.end().catch(() => undefined);
      }
    },
  };
}

async function waitForExit(client: pg.Client, pids: number[]): Promise<void> {
  const deadline = Date.now() + EXIT_WAIT_MS;
  while (pids.length > 0 && Date.now() < deadline) {
    const { n } = (await client.query<{ n: number }>(STILL_THERE, [pids])).rows[0]!;
    if (n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
