import { parseDuration, setting } from '../../../lib/config.js';
import { MIN_SERIES_POINTS } from '../../../lib/alerts-ml/series-features.js';
import type { ActivityDeps } from '../../deps.js';
import { fields, invalidInput } from '../remediation/input.js';
import { checkFailed, DEFAULT_PROBE_TIMEOUT_MS, invalidProbe, quoted, type CheckResult } from './check.js';
import { PrometheusApi, seriesName, type Sample } from './prometheus-api.js';

export interface PrometheusCheckInput {
  query: string;
  /** Every sample of the result must be under this value. */
  below: number;
  timeoutMs?: number;
}

export interface MetricSeriesInput {
  query: string;
  /** How far back from now, e.g. 15m. */
  window: string;
  /** Distance between points, e.g. 30s. Default: window / 30 (the anomaly model's usual window). */
  step?: string;
  timeoutMs?: number;
}

/** A series for the ml pool's isMetricNormal (lib/alerts-ml/anomaly.ts MetricWindow). */
export interface MetricSeries {
  /** Oldest first. */
  values: number[];
}

const DEFAULT_POINTS = 30;
/** isMetricNormal's bound on a window, and under Prometheus's own limit of 11,000 points per series. */
const MAX_POINTS = 10_000;
/** Offending samples quoted in a failure message; the rest are counted. */
const QUOTED_SAMPLES = 3;

/**
 * The `prometheus` and `metric-normal` verification probes (cloud pool), on the Prometheus HTTP API at
 * PROMETHEUS_URL. A query Prometheus rejects fails without retrying; no data yet, or data over the bound,
 * is a retryable CheckFailed ("not healthy yet").
 */
export function createPrometheusProbes(deps: Pick<ActivityDeps, 'env'>) {
  const baseUrl = setting('PROMETHEUS_URL', deps.env);
  return {
    async prometheusCheck(input: PrometheusCheckInput): Promise<CheckResult<'prometheus'>> {
      const activity = 'prometheusCheck';
      const f = fields(activity, input);
      const query = f.string('query');
      const { below } = input;
      if (typeof below !== 'number' || !Number.isFinite(below)) {
        invalidInput(activity, 'below', 'a finite number', below);
      }
      const timeoutMs = f.int('timeoutMs', 1, undefined, DEFAULT_PROBE_TIMEOUT_MS);
      const api = new PrometheusApi(baseUrl, activity);
      const started = performance.now();
      const samples = await api.instant(query, timeoutMs);
      const latencyMs = Math.round(performance.now() - started);
      if (samples.length === 0) {
        throw checkFailed(`${activity}: query ${quoted(query)} returned no samples`);
      }
      // NaN is never below anything: a query that cannot be computed is not a healthy one.
      const over = samples.filter((sample) => !(sample.value < below));
      if (over.length > 0) {
        throw checkFailed(
          `${activity}: ${quoted(query)} is not below ${below}: ${listSamples(over)} (${samples.length} sample(s) in all)`,
        );
      }
      const value = Math.max(...samples.map((sample) => sample.value));
      return {
        kind: 'prometheus',
        target: query,
        latencyMs,
        detail: `${samples.length} sample(s), highest ${value} < ${below}`,
        value,
      };
    },

    async metricSeries(input: MetricSeriesInput): Promise<MetricSeries> {
      const activity = 'metricSeries';
      const f = fields(activity, input);
      const query = f.string('query');
      const rawWindow = f.string('window');
      const windowMs = parseDuration(rawWindow);
      if (windowMs === undefined || windowMs <= 0) {
        invalidInput(activity, 'window', 'a duration such as 15m', rawWindow);
      }
      const rawStep = f.optionalString('step');
      const stepMs = rawStep === undefined ? windowMs / DEFAULT_POINTS : parseDuration(rawStep);
      if (stepMs === undefined || stepMs <= 0 || windowMs / stepMs + 1 > MAX_POINTS) {
        const least = Math.ceil(windowMs / (MAX_POINTS - 1));
        invalidInput(
          activity,
          'step',
          `a duration of at least ${least}ms for a ${rawWindow} window`,
          rawStep,
        );
      }
      const timeoutMs = f.int('timeoutMs', 1, undefined, DEFAULT_PROBE_TIMEOUT_MS);
      const api = new PrometheusApi(baseUrl, activity);
      const end = Date.now() / 1000;
      const series = await api.range(query, end - windowMs / 1000, end, stepMs / 1000, timeoutMs);
      const [only] = series;
      if (!only)
        throw checkFailed(`${activity}: query ${quoted(query)} has no data in the last ${rawWindow}`);
      if (series.length > 1) {
        throw invalidProbe(
          `${activity}: query ${quoted(query)} returns ${series.length} series (${series
            .slice(0, QUOTED_SAMPLES)
            .map((s) => seriesName(s.labels))
            .join('; ')}); metric-normal judges one: aggregate them, e.g. max(...)`,
        );
      }
      // The model takes finite numbers only; a NaN step (a rate over a gap, a division by zero) is no observation.
      const values = only.values.filter(Number.isFinite);
      if (values.length < MIN_SERIES_POINTS) {
        throw checkFailed(
          `${activity}: query ${quoted(query)} has ${values.length} point(s) in the last ${rawWindow}, ` +
            `the anomaly model needs at least ${MIN_SERIES_POINTS}`,
        );
      }
      return { values };
    },
  };
}

function listSamples(samples: readonly Sample[]): string {
  const shown = samples.slice(0, QUOTED_SAMPLES).map((s) => `${s.value} ${seriesName(s.labels)}`);
  const more = samples.length - shown.length;
  return more > 0 ? `${shown.join('; ')} and ${more} more` : shown.join('; ');
}
