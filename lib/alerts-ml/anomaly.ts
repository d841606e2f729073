import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadOnce, loadOnnxModel, type OnnxModelMeta } from '../onnx-model.js';
import { SERIES_FEATURES, seriesFeatures, type Baseline } from './series-features.js';

interface AnomalyMeta extends OnnxModelMeta {
  features: string[];
}

export interface MetricWindow {
  /** Recent values of one metric, oldest first (about 30 points; at least MIN_SERIES_POINTS). */
  values: readonly number[];
  /** The metric before the incident; without it the first half of `values` is the reference. */
  baseline?: Baseline;
  /** The alert's threshold; without it, reference mean + 3 standard deviations. */
  threshold?: number;
}

export interface MetricVerdict {
  normal: boolean;
  /** Isolation Forest decision value: negative means anomalous, the lower the more. */
  score: number;
  modelVersion: string;
}

export interface MetricAnomalyModel {
  readonly version: string;
  judge(window: MetricWindow): Promise<MetricVerdict>;
}

export function defaultMetricAnomalyPath(): string {
  return path.join(packageRoot(), 'models', 'metric-anomaly', 'model.onnx');
}

export async function loadMetricAnomalyModel(modelPath: string): Promise<MetricAnomalyModel> {
  const model = await loadOnnxModel<AnomalyMeta>(modelPath, (meta) =>
    JSON.stringify(meta.features) === JSON.stringify(SERIES_FEATURES)
      ? undefined
      : `expects features [${meta.features.join(', ')}], lib/alerts-ml builds [${SERIES_FEATURES.join(', ')}]`,
  );
  return {
    version: model.version,
    async judge({ values, baseline, threshold }) {
      const features = seriesFeatures(values, baseline, threshold);
      const [score = Number.NaN] = await model.run(features, 1, SERIES_FEATURES.length);
      return { normal: score >= 0, score, modelVersion: model.version };
    },
  };
}

/** The anomaly model at `modelPath`, loaded once per process. */
export const cachedMetricAnomalyModel = loadOnce(loadMetricAnomalyModel);
