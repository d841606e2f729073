/**
 * Features of a metric window: the TypeScript twin of models/metric-anomaly/series_features.py (read its
 * docstring for the definitions). test/alerts-ml/parity.test.ts checks both on every fixture.
 */
export const SERIES_FEATURES = [
  'mean_z',
  'last_z',
  'sd_ratio',
  'slope_z',
  'max_abs_z',
  'frac_above',
] as const;
/** Fewest points a window may have: below this, a mean and a slope say nothing. */
export const MIN_SERIES_POINTS = 8;
const CLIP = 50;

export interface Baseline {
  /** Mean and standard deviation of the metric before the incident. */
  mean: number;
  sd: number;
}

const mean = (values: readonly number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
const sd = (values: readonly number[], m: number) =>
  Math.sqrt(values.reduce((sum, v) => sum + (v - m) * (v - m), 0) / values.length);
const clip = (v: number) => Math.max(-CLIP, Math.min(CLIP, v));

export function seriesFeatures(
  values: readonly number[],
  baseline?: Baseline,
  threshold?: number,
): Float32Array {
  let judged: readonly number[];
  let refMean: number;
  let refSd: number;
  if (baseline === undefined) {
    const half = Math.floor(values.length / 2);
    const reference = values.slice(0, half);
    judged = values.slice(half);
    refMean = mean(reference);
    refSd = sd(reference, refMean);
  } else {
    judged = values;
    ({ mean: refMean, sd: refSd } = baseline);
  }
  refSd = Math.max(refSd, 1e-9, 1e-3 * Math.abs(refMean));
  const n = judged.length;
  const m = mean(judged);
  const xMean = (n - 1) / 2;
  let sxx = 0;
  let sxy = 0;
  judged.forEach((v, i) => {
    sxx += (i - xMean) * (i - xMean);
    sxy += (i - xMean) * (v - m);
  });
  const limit = threshold ?? refMean + 3 * refSd;
  return Float32Array.from([
    clip((m - refMean) / refSd),
    clip((judged[n - 1]! - refMean) / refSd),
    clip(sd(judged, m) / refSd),
    clip(((sxy / sxx) * n) / refSd),
    clip(Math.max(...judged.map((v) => Math.abs(v - refMean))) / refSd),
    judged.filter((v) => v > limit).length / n,
  ]);
}
