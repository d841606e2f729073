import path from 'node:path';
import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import { setting } from '../../lib/config.js';
import {
  cachedMetricAnomalyModel,
  defaultMetricAnomalyPath,
  type MetricVerdict,
  type MetricWindow,
} from '../../lib/alerts-ml/anomaly.js';
import {
  cachedAlertClassifier,
  defaultAlertClassifierPath,
  type AlertClassification,
} from '../../lib/alerts-ml/classifier.js';
import { MIN_SERIES_POINTS } from '../../lib/alerts-ml/series-features.js';

export interface ClassifyAlertInput {
  alertName: string;
  /** Summary and/or description annotations, as one text. */
  summary?: string;
  labels?: Record<string, string>;
}

export type IsMetricNormalInput = MetricWindow;

/** Longest window accepted: the model was trained on ~30 points; this only bounds the work per call. */
const MAX_SERIES_POINTS = 10_000;

function invalid(activity: string, message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`${activity}: ${message}`, 'InvalidModelInput');
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isFiniteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function checkAlert(input: unknown): Required<ClassifyAlertInput> {
  const fail = (message: string) => invalid('classifyAlert', message);
  if (!isRecord(input)) throw fail('input: expected an object with alertName, summary and labels');
  const { alertName, summary = '', labels = {} } = input;
  if (typeof alertName !== 'string') throw fail('alertName: expected a string');
  if (typeof summary !== 'string') throw fail('summary: expected a string');
  if (!isRecord(labels)) throw fail('labels: expected an object of string values');
  for (const [key, value] of Object.entries(labels)) {
    if (typeof value !== 'string') throw fail(`labels.${key}: expected a string, got ${typeof value}`);
  }
  return { alertName, summary, labels: labels as Record<string, string> };
}

function checkWindow(input: unknown): MetricWindow {
  const fail = (message: string) => invalid('isMetricNormal', message);
  if (!isRecord(input)) throw fail('input: expected an object with values, baseline and threshold');
  const { values, baseline, threshold } = input;
  if (!Array.isArray(values) || values.length < MIN_SERIES_POINTS || values.length > MAX_SERIES_POINTS) {
    throw fail(`values: expected an array of ${MIN_SERIES_POINTS} to ${MAX_SERIES_POINTS} numbers`);
  }
  const bad = values.findIndex((v) => !isFiniteNumber(v));
  if (bad >= 0) throw fail(`values[${bad}]: expected a finite number, got ${JSON.stringify(values[bad])}`);
  const window: MetricWindow = { values: values as number[] };
  if (baseline !== undefined) {
    if (
      !isRecord(baseline) ||
      !isFiniteNumber(baseline.mean) ||
      !isFiniteNumber(baseline.sd) ||
      baseline.sd < 0
    ) {
      throw fail('baseline: expected { mean: number, sd: number >= 0 }');
    }
    window.baseline = { mean: baseline.mean, sd: baseline.sd };
  }
  if (threshold !== undefined) {
    if (!isFiniteNumber(threshold)) throw fail('threshold: expected a finite number');
    window.threshold = threshold;
  }
  return window;
}

/**
 * The alert models of the ml pool: the root-cause classifier (playbook matching falls back to it) and
 * the anomaly model (playbook verification). Each is loaded once per worker process, on first use.
 */
export function createAlertMlActivities(deps: ActivityDeps) {
  const classifierPath = path.resolve(
    setting('ALERT_CLASSIFIER_MODEL_PATH', deps.env) || defaultAlertClassifierPath(),
  );
  const anomalyPath = path.resolve(
    setting('METRIC_ANOMALY_MODEL_PATH', deps.env) || defaultMetricAnomalyPath(),
  );
  return {
    /** Proposes a root-cause class for an alert, with the model's confidence in it. */
    async classifyAlert(input: ClassifyAlertInput): Promise<AlertClassification> {
      const alert = checkAlert(input);
      return (await cachedAlertClassifier(classifierPath)).classify(alert);
    },

    /** Whether a metric window looks normal again (verification after a remediation). */
    async isMetricNormal(input: IsMetricNormalInput): Promise<MetricVerdict> {
      const window = checkWindow(input);
      return (await cachedMetricAnomalyModel(anomalyPath)).judge(window);
    },
  };
}
