import type { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import type { ActivityDeps } from '../../deps.js';
import { fields } from '../remediation/input.js';
import {
  checkFailed,
  DEFAULT_PROBE_TIMEOUT_MS,
  describeError,
  invalidProbe,
  probeNotConfigured,
  quoted,
  type CheckResult,
} from './check.js';
import { remediationPostgresUrl } from './remediation-postgres.js';

export interface SqlCheckInput {
  query: string;
  /** Database to run it in. Default: the database of the server's URL. */
  database?: string;
  /** Statement timeout and connect timeout (default 5000). */
  timeoutMs?: number;
}

const ACTIVITY = 'sqlCheck';
const APPLICATION_NAME = 'dharma-probe';
const SYNTAX_ERROR = '42601';
const READ_ONLY_SQL_TRANSACTION = '25006';
const QUERY_CANCELED = '57014';

/**
 * The `sql` verification probe (cloud pool): one query on the remediation target server, in a read-only
 * transaction that is never committed, with a statement timeout. It passes when the first column of the
 * first row is truthy; a query that cannot parse or tries to write is the playbook's mistake and fails
 * without retrying.
 */
export function createSqlProbe(deps: Pick<ActivityDeps, 'db' | 'env'>) {
  return {
    async sqlCheck(input: SqlCheckInput): Promise<CheckResult<'sql'>> {
      const f = fields(ACTIVITY, input);
      const query = f.string('query');
      const database = f.optionalString('database');
      const timeoutMs = f.int('timeoutMs', 1, undefined, DEFAULT_PROBE_TIMEOUT_MS);
      const server = remediationPostgresUrl(deps);
      if (!server) throw probeNotConfigured(`${ACTIVITY}: the cloud worker has no DATABASE_URL to query`);
      const url = new URL(server);
      if (database) url.pathname = `/${encodeURIComponent(database)}`;
      const target = `${url.hostname}:${url.port || 5432}${decodeURIComponent(url.pathname)}`;

      const client = new pg.Client({
        connectionString: url.href,
        application_name: APPLICATION_NAME,
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: timeoutMs,
      });
      // A dropped connection also fails the pending query, which is where it is reported.
      client.on('error', () => undefined);
      const started = performance.now();
      let rows: unknown[][];
      try {
        await client.connect();
        await client.query('BEGIN READ ONLY');
        // A named (prepared) statement goes through the extended protocol, which refuses several
        // statements in one string: `SELECT 1; COMMIT; DELETE ...` cannot escape the transaction.
        rows = (await client.query({ name: 'dharma-probe', text: query, rowMode: 'array' })).rows;
      } catch (error) {
        throw classify(error, query, target, timeoutMs);
      } finally {
        await client.end().catch(() => undefined);
      }
      const latencyMs = Math.round(performance.now() - started);
      if (rows.length === 0) {
        throw checkFailed(`${ACTIVITY}: query ${quoted(query)} on ${target} returned no rows`);
      }
      const [first] = rows[0] ?? [];
      const got = describeValue(first);
      if (!truthy(first)) {
        throw checkFailed(
          `${ACTIVITY}: query ${quoted(query)} on ${target} returned ${got}, expected a true value`,
        );
      }
      return { kind: 'sql', target, latencyMs, detail: `returned ${got}` };
    },
  };
}

function classify(error: unknown, query: string, target: string, timeoutMs: number): ApplicationFailure {
  const code = (error as { code?: unknown }).code;
  const message = describeError(error);
  if (code === SYNTAX_ERROR) {
    return invalidProbe(`${ACTIVITY}: query ${quoted(query)} is not one valid SQL statement: ${message}`);
  }
  if (code === READ_ONLY_SQL_TRANSACTION) {
    return invalidProbe(`${ACTIVITY}: query ${quoted(query)} tries to write; probes only read: ${message}`);
  }
  if (code === QUERY_CANCELED) {
    return checkFailed(`${ACTIVITY}: query ${quoted(query)} on ${target} took longer than ${timeoutMs} ms`);
  }
  return checkFailed(`${ACTIVITY}: query ${quoted(query)} on ${target} failed: ${message}`);
}

/** true, a non-zero number, or PostgreSQL's text for them ('t'; int8 and numeric arrive as strings). */
function truthy(value: unknown): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return value !== 0 && !Number.isNaN(value);
  if (typeof value !== 'string') return false;
  const text = value.trim().toLowerCase();
  if (text === 't' || text === 'true') return true;
  const number = Number(text);
  return text !== '' && !Number.isNaN(number) && number !== 0;
}

function describeValue(value: unknown): string {
  if (value === undefined || value === null) return 'NULL';
  const text = JSON.stringify(value);
  return text.length > 100 ? `${text.slice(0, 100)}…` : text;
}
