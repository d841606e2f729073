import net from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.js';
import { CHECK_FAILED, DEFAULT_PROBE_TIMEOUT_MS, describeError, type CheckResult } from './probes/check.js';
import { createPrometheusProbes } from './probes/prometheus-probes.js';
import { createSqlProbe } from './probes/sql-check.js';

export {
  CHECK_FAILED,
  INVALID_PROBE,
  PROBE_NOT_CONFIGURED,
  type CheckResult,
  type ProbeKind,
} from './probes/check.js';
export type { MetricSeries, MetricSeriesInput, PrometheusCheckInput } from './probes/prometheus-probes.js';
export type { SqlCheckInput } from './probes/sql-check.js';

export interface HttpCheckInput {
  url: string;
  /** Expected status code (default 200). */
  expectStatus?: number;
  timeoutMs?: number;
}

export interface TcpCheckInput {
  host: string;
  port: number;
  timeoutMs?: number;
}

/**
 * The probes of the cloud pool: a real HTTP request, a real TCP connect, a read-only SQL query on the
 * remediation target server and Prometheus queries. A probe that does not see what it expects throws a
 * retryable `CheckFailed`, so the caller's retry policy decides how long a target gets to come up; a
 * probe that can never pass (bad query, missing setting) fails without retrying.
 */
export function createProbeActivities(deps: Pick<ActivityDeps, 'db' | 'env'>) {
  return {
    ...createSqlProbe(deps),
    ...createPrometheusProbes(deps),

    async httpCheck(input: HttpCheckInput): Promise<CheckResult<'http'>> {
      const expected = input.expectStatus ?? 200;
      const started = performance.now();
      let status: number;
      try {
        const response = await fetch(input.url, {
          redirect: 'manual',
          signal: AbortSignal.timeout(input.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS),
        });
        status = response.status;
        await response.body?.cancel();
      } catch (err) {
        throw ApplicationFailure.retryable(`GET ${input.url} failed: ${describeError(err)}`, CHECK_FAILED);
      }
      const latencyMs = Math.round(performance.now() - started);
      if (status !== expected) {
        throw ApplicationFailure.retryable(
          `GET ${input.url} answered ${status}, expected ${expected}`,
          CHECK_FAILED,
        );
      }
      return { kind: 'http', target: input.url, latencyMs, detail: `status ${status}` };
    },

    async tcpCheck(input: TcpCheckInput): Promise<CheckResult<'tcp'>> {
      const target = `${input.host}:${input.port}`;
      const started = performance.now();
      await new Promise<void>((resolve, reject) => {
        const socket = net.connect({ host: input.host, port: input.port });
        const fail = (reason: string) => {
          socket.destroy();
          reject(ApplicationFailure.retryable(`TCP connect to ${target} failed: ${reason}`, CHECK_FAILED));
        };
        socket.setTimeout(input.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, () => fail('timed out'));
        socket.once('error', (err) => fail(err.message));
        socket.once('connect', () => {
          socket.destroy();
          resolve();
        });
      });
      const latencyMs = Math.round(performance.now() - started);
      return { kind: 'tcp', target, latencyMs, detail: 'connected' };
    },
  };
}
