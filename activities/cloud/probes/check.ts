import { ApplicationFailure } from '@temporalio/common';

export type ProbeKind = 'http' | 'tcp' | 'sql' | 'prometheus';

/** Generic in its kind, so a caller of httpCheck/tcpCheck keeps the narrow type it had. */
export interface CheckResult<K extends ProbeKind = ProbeKind> {
  kind: K;
  target: string;
  latencyMs: number;
  detail: string;
  /** What the probe measured, when it measures a number (prometheus: the highest sample). */
  value?: number;
}

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

/** Thrown (retryable: the target may be coming up) when a probe does not see what it expects. */
export const CHECK_FAILED = 'CheckFailed';
/** The probe itself is wrong (a query that does not parse, writes, or cannot be judged): fix the playbook. */
export const INVALID_PROBE = 'InvalidProbe';
/** The worker lacks a setting the probe needs (PROMETHEUS_URL, a PostgreSQL server). */
export const PROBE_NOT_CONFIGURED = 'ProbeNotConfigured';

export function checkFailed(message: string): ApplicationFailure {
  return ApplicationFailure.retryable(message, CHECK_FAILED);
}

export function invalidProbe(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, INVALID_PROBE);
}

export function probeNotConfigured(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(message, PROBE_NOT_CONFIGURED);
}

/** A query as messages quote it: whole, unless it is long. */
export function quoted(query: string): string {
  return JSON.stringify(query.length > 200 ? `${query.slice(0, 200)}…` : query);
}

export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  return err.cause instanceof Error ? `${err.message} (${err.cause.message})` : err.message;
}
