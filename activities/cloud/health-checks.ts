import { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import type { ActivityDeps } from '../deps.js';
import { MissingOutput, resolveHealthCheck } from '../../lib/blueprints/health-checks.js';
import type { HealthCheck } from '../../lib/blueprints/schema.js';
import { setting } from '../../lib/config.js';
import { CHECK_FAILED, createProbeActivities, type CheckResult } from './probes.js';

export interface RunHealthCheckInput {
  check: HealthCheck;
  /** The applied outputs, for `${output.<name>}` placeholders. */
  outputs: Record<string, unknown>;
}

export interface HealthCheckResult {
  name: string;
  kind: HealthCheck['kind'];
  target: string;
  latencyMs: number;
  detail: string;
}

const DEFAULT_TIMEOUT_SECONDS = 5;

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, 'InvalidHealthCheck');
}

/**
 * The verify step's health checks (cloud pool): http and tcp through the probes, sql as a real query on
 * the PostgreSQL server HEALTHCHECK_SQL_URL (default DATABASE_URL) in the check's database. A check that
 * does not pass throws a retryable CheckFailed, so the retry policy gives a target time to come up.
 */
export function createHealthCheckActivities(deps: ActivityDeps) {
  const probes = createProbeActivities(deps);
  const sqlServer = setting('HEALTHCHECK_SQL_URL', deps.env) || setting('DATABASE_URL', deps.env);

  async function sqlCheck(check: HealthCheck): Promise<CheckResult> {
    if (!check.query) throw invalid(`health check ${check.name}: sql needs a query`);
    if (!sqlServer)
      throw invalid('sql health checks need HEALTHCHECK_SQL_URL or DATABASE_URL on the cloud worker');
    const url = new URL(sqlServer);
    if (check.database) url.pathname = `/${encodeURIComponent(check.database)}`;
    const target = `${url.hostname}:${url.port || 5432}${url.pathname}`;
    const timeoutMs = (check.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
    const client = new pg.Client({
      connectionString: url.href,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    const started = performance.now();
    try {
      await client.connect();
      const result = await client.query(check.query);
      if (result.rows.length === 0) {
        throw ApplicationFailure.retryable(
          `${check.name}: query on ${target} returned no rows`,
          CHECK_FAILED,
        );
      }
      return {
        kind: 'tcp',
        target,
        latencyMs: Math.round(performance.now() - started),
        detail: `${result.rows.length} row(s)`,
      };
    } catch (error) {
      if (error instanceof ApplicationFailure) throw error;
      throw ApplicationFailure.retryable(
        `${check.name}: query on ${target} failed: ${(error as Error).message}`,
        CHECK_FAILED,
      );
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  return {
    async runHealthCheck(input: RunHealthCheckInput): Promise<HealthCheckResult> {
      let check: HealthCheck;
      try {
        check = resolveHealthCheck(input.check, input.outputs);
      } catch (error) {
        if (error instanceof MissingOutput) throw invalid(error.message);
        throw error;
      }
      const timeoutMs = (check.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS) * 1000;
      let result: CheckResult;
      if (check.kind === 'http') {
        if (!check.url) throw invalid(`health check ${check.name}: http needs a url`);
        result = await probes.httpCheck({
          url: check.url,
          timeoutMs,
          ...(check.expectStatus !== undefined ? { expectStatus: check.expectStatus } : {}),
        });
      } else if (check.kind === 'tcp') {
        const port = Number(check.port);
        if (!check.host || !(Number.isInteger(port) && port > 0 && port < 65536)) {
          throw invalid(
            `health check ${check.name}: tcp needs a host and a port (1-65535), got ${check.port}`,
          );
        }
        result = await probes.tcpCheck({ host: check.host, port, timeoutMs });
      } else {
        result = await sqlCheck(check);
      }
      return {
        name: check.name,
        kind: check.kind,
        target: result.target,
        latencyMs: result.latencyMs,
        detail: result.detail,
      };
    },
  };
}
