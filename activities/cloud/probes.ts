import net from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.js';

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

export interface CheckResult {
  kind: 'http' | 'tcp';
  target: string;
  latencyMs: number;
  detail: string;
}

const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Thrown (retryable: the target may be coming up) when a probe does not see what it expects. */
export const CHECK_FAILED = 'CheckFailed';

/**
 * Reachability probes (cloud pool): a real HTTP request and a real TCP connect. A failed probe throws
 * a retryable `CheckFailed`, so the activity retry policy decides how long a target gets to come up.
 */
export function createProbeActivities(_deps: Pick<ActivityDeps, 'logger'>) {
  return {
    async httpCheck(input: HttpCheckInput): Promise<CheckResult> {
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
        throw ApplicationFailure.retryable(`GET ${input.url} failed: ${describe(err)}`, CHECK_FAILED);
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

    async tcpCheck(input: TcpCheckInput): Promise<CheckResult> {
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

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}
