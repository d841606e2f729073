import { ActivityFailure, ApplicationFailure, condition } from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { Probe } from '../../lib/playbooks/schema.js';
import type { RemediationActivities } from './activities.js';

/** One probe's answer in one verification round. */
export interface ProbeResult {
  kind: Probe['kind'];
  passed: boolean;
  detail: string;
}

export interface VerificationRound {
  at: string;
  results: ProbeResult[];
}

export interface Verification {
  verified: boolean;
  rounds: VerificationRound[];
}

/** Rounds per window; each round waits at least MIN and at most MAX between probes. */
const ROUNDS_PER_WINDOW = 10;
const MIN_ROUND_INTERVAL_MS = 1_000;
const MAX_ROUND_INTERVAL_MS = 30_000;
/** The shortest series a metric-normal probe asks for (its first round comes right after the fix). */
const MIN_SERIES_WINDOW_MS = 1_000;

export interface VerifyOptions {
  probes: readonly Probe[];
  window: string;
  activities: Pick<RemediationActivities, 'probes' | 'ml'>;
  /** Whether the alert has been resolved by its source (for the `alert-resolved` probe). */
  alertResolved: () => boolean;
  /** Called after each round, e.g. to put it on the incident timeline. */
  onRound: (round: VerificationRound) => Promise<void>;
}

/**
 * Runs every probe each round until one round passes them all (verified) or the window is over (not
 * verified). A round ends early when the alert resolves, so an `alert-resolved` probe is seen at once.
 * Timers and the round count are workflow state: a replay takes the same rounds.
 */
export async function verify(options: VerifyOptions): Promise<Verification> {
  const windowMs = msToNumber(options.window);
  const deadline = Date.now() + windowMs;
  const interval = Math.min(
    MAX_ROUND_INTERVAL_MS,
    Math.max(MIN_ROUND_INTERVAL_MS, Math.floor(windowMs / ROUNDS_PER_WINDOW)),
  );
  const rounds: VerificationRound[] = [];
  const startedAt = Date.now();
  for (;;) {
    // Metric series are judged from the start of verification on: data from before the fix says nothing.
    const seriesWindow = `${Math.max(MIN_SERIES_WINDOW_MS, Date.now() - startedAt)}ms`;
    const results = await Promise.all(options.probes.map((probe) => runProbe(probe, options, seriesWindow)));
    const round = { at: new Date().toISOString(), results };
    rounds.push(round);
    await options.onRound(round);
    if (results.every((r) => r.passed)) return { verified: true, rounds };
    const remaining = deadline - Date.now();
    if (remaining <= 0) return { verified: false, rounds };
    const waitingOnAlert = results.some((r) => r.kind === 'alert-resolved' && !r.passed);
    await condition(() => waitingOnAlert && options.alertResolved(), Math.min(interval, remaining));
  }
}

/**
 * One probe, once. A probe that cannot see health (an activity failure) is a failed result, not an error:
 * `seriesWindow` is how far back a metric-normal probe looks.
 */
export async function runProbe(
  probe: Probe,
  options: Pick<VerifyOptions, 'activities' | 'alertResolved'>,
  seriesWindow: string,
): Promise<ProbeResult> {
  const { probes, ml } = options.activities;
  const outcome = (passed: boolean, detail: string): ProbeResult => ({ kind: probe.kind, passed, detail });
  try {
    switch (probe.kind) {
      case 'alert-resolved':
        return options.alertResolved()
          ? outcome(true, 'the alert resolved')
          : outcome(false, 'the alert is still firing');
      case 'http': {
        const r = await probes.httpCheck({
          url: probe.url,
          ...(probe.expectStatus ? { expectStatus: probe.expectStatus } : {}),
        });
        return outcome(true, `${r.target}: ${r.detail} in ${r.latencyMs} ms`);
      }
      case 'tcp': {
        const { host, port } = splitAddress(probe.address);
        const r = await probes.tcpCheck({ host, port });
        return outcome(true, `${r.target}: ${r.detail} in ${r.latencyMs} ms`);
      }
      case 'sql': {
        const r = await probes.sqlCheck({
          query: probe.query,
          ...(probe.database ? { database: probe.database } : {}),
        });
        return outcome(true, r.detail);
      }
      case 'prometheus': {
        const r = await probes.prometheusCheck({ query: probe.query, below: probe.below });
        return outcome(true, r.detail);
      }
      case 'metric-normal': {
        const { values } = await probes.metricSeries({ query: probe.query, window: seriesWindow });
        const verdict = await ml.isMetricNormal({
          values,
          ...(probe.threshold !== undefined ? { threshold: probe.threshold } : {}),
        });
        const points = `score ${verdict.score.toFixed(3)}, ${values.length} points`;
        // The model judges whether the series has settled; being under the alert's threshold is the rule.
        const last = values.at(-1);
        if (probe.threshold !== undefined && last !== undefined && last >= probe.threshold)
          return outcome(
            false,
            `${probe.query}: still above its threshold ${probe.threshold} (last ${last}; ${points})`,
          );
        return outcome(
          verdict.normal,
          `${probe.query}: ${verdict.normal ? 'normal' : 'anomalous'} (${points})`,
        );
      }
    }
  } catch (error) {
    if (error instanceof ActivityFailure || error instanceof ApplicationFailure) {
      return outcome(false, failureMessage(error));
    }
    throw error;
  }
}

/** `host:port` or `[v6]:port`; a malformed address is the playbook's fault, told on the timeline. */
function splitAddress(address: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim());
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65_535) {
    throw ApplicationFailure.nonRetryable(`tcp probe: address: expected host:port, got "${address}"`);
  }
  return { host: match[1] ?? match[2]!, port };
}

/** The innermost message: an activity failure wraps the activity's own error as its cause. */
export function failureMessage(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
