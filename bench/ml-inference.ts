/**
 * Alert-classifier and metric-anomaly inference: latency per prediction (target p99 < 1 ms each) and
 * predictions per second on one core (intra-op threads 1), with onnxruntime-node as the ml pool runs them,
 * from raw input (text hashing / window features included) and from precomputed features, compared with
 * a Python onnxruntime loop on the same models and fixtures when the tools venv has it.
 * Usage: tsx bench/ml-inference.ts [iterations]   (default 20000)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { table } from '../cli/output.js';
import { toolsDir } from '../lib/config.js';
import { packageRoot } from '../lib/package-root.js';
import {
  defaultMetricAnomalyPath,
  loadMetricAnomalyModel,
  type MetricWindow,
} from '../lib/alerts-ml/anomaly.js';
import { defaultAlertClassifierPath, loadAlertClassifier } from '../lib/alerts-ml/classifier.js';
import { loadOnnxModel } from '../lib/onnx-model.js';
import { SERIES_FEATURES, seriesFeatures } from '../lib/alerts-ml/series-features.js';
import { alertText, TEXT_BUCKETS, vectorizeText, type AlertText } from '../lib/alerts-ml/text-features.js';
import { summarize, type LatencySummary } from './stats.js';

const TARGET_P99_MS = 1;
const iterations = Number(process.argv[2] ?? 20_000);
if (!Number.isInteger(iterations) || iterations < 100) {
  console.error('iterations: expected an integer of at least 100');
  process.exit(2);
}

const fixtures = <T>(modelPath: string) =>
  (JSON.parse(readFileSync(path.join(path.dirname(modelPath), 'fixtures.json'), 'utf8')) as { cases: T[] })
    .cases;
const alerts = fixtures<AlertText>(defaultAlertClassifierPath());
const windows = fixtures<MetricWindow>(defaultMetricAnomalyPath());

async function measure(count: number, fn: (i: number) => Promise<unknown>): Promise<LatencySummary> {
  for (let i = 0; i < count * 10; i++) await fn(i % count); // warm-up
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i % count);
    latencies.push(performance.now() - t0);
  }
  return summarize(latencies, 0, performance.now() - started);
}

const classifier = await loadAlertClassifier(defaultAlertClassifierPath());
const anomaly = await loadMetricAnomalyModel(defaultMetricAnomalyPath());
// The bare sessions, to time onnxruntime alone on precomputed features as the Python loop does.
const rawClassifier = await loadOnnxModel(defaultAlertClassifierPath(), () => undefined);
const rawAnomaly = await loadOnnxModel(defaultMetricAnomalyPath(), () => undefined);
const textRows = alerts.map((a) => vectorizeText(alertText(a)));
const seriesRows = windows.map((w) => seriesFeatures(w.values, w.baseline, w.threshold));

const results: [string, LatencySummary][] = [
  ['alert-classifier: text → classify', await measure(alerts.length, (i) => classifier.classify(alerts[i]!))],
  [
    'alert-classifier: features → predict',
    await measure(textRows.length, (i) => rawClassifier.run(textRows[i]!, 1, TEXT_BUCKETS)),
  ],
  ['metric-anomaly: window → judge', await measure(windows.length, (i) => anomaly.judge(windows[i]!))],
  [
    'metric-anomaly: features → predict',
    await measure(seriesRows.length, (i) => rawAnomaly.run(seriesRows[i]!, 1, SERIES_FEATURES.length)),
  ],
];

interface PythonSide {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  per_second: number;
}
type PythonResult = Record<'alert-classifier' | 'metric-anomaly', PythonSide> & { onnxruntime: string };

function python(): PythonResult | string {
  const bin = path.join(toolsDir(), 'venv', 'bin', 'python');
  if (!existsSync(bin)) return `no Python venv at ${bin}`;
  const script = path.join(packageRoot(), 'models', 'bench_alert_models.py');
  const run = spawnSync(bin, [script, String(iterations)], { encoding: 'utf8' });
  if (run.status !== 0)
    return `Python benchmark failed (install models/requirements.txt): ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout) as PythonResult;
}
const py = python();

const f = (v: number) => v.toFixed(4);
const rows = results.map(([label, s]) => [label, f(s.p50), f(s.p99), f(s.mean), s.throughput.toFixed(0)]);
if (typeof py !== 'string') {
  for (const name of ['alert-classifier', 'metric-anomaly'] as const) {
    const s = py[name];
    rows.push([
      `Python onnxruntime ${py.onnxruntime}: ${name} features → predict`,
      f(s.p50_ms),
      f(s.p99_ms),
      f(s.mean_ms),
      s.per_second.toFixed(0),
    ]);
  }
}
console.log(
  `alert model inference, ${iterations} sequential single-row predictions, 1 intra-op thread ` +
    `(${classifier.version}, ${anomaly.version})`,
);
console.log(table(['Path', 'p50 ms', 'p99 ms', 'mean ms', 'predictions/s'], rows));
for (const [label, s] of [results[0]!, results[2]!]) {
  const verdict = s.p99 < TARGET_P99_MS ? 'target met' : 'TARGET MISSED';
  console.log(`${label}: p99 ${f(s.p99)} ms (target < ${TARGET_P99_MS} ms: ${verdict})`);
}
if (typeof py === 'string') console.log(`Python comparison skipped: ${py}`);
