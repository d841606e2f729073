/**
 * Change-risk inference: latency per prediction (target p99 < 1 ms) and predictions per second on one
 * core (intra-op threads 1), with onnxruntime-node as the ml pool runs it, compared with a Python
 * onnxruntime loop on the same model and fixtures when the tools venv has it.
 * Usage: tsx bench/risk-inference.ts [iterations]   (default 20000)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { table } from '../cli/output.js';
import { toolsDir } from '../lib/config.js';
import { extractRiskFeatures, summarizePlanChanges } from '../lib/risk/features.js';
import { defaultRiskModelPath, loadRiskModel } from '../lib/risk/model.js';
import { summarize, type LatencySummary } from './stats.js';

const TARGET_P99_MS = 1;
const iterations = Number(process.argv[2] ?? 20_000);
if (!Number.isInteger(iterations) || iterations < 100) {
  console.error('iterations: expected an integer of at least 100');
  process.exit(2);
}

const modelPath = defaultRiskModelPath();
const fixtures = JSON.parse(readFileSync(path.join(path.dirname(modelPath), 'fixtures.json'), 'utf8')) as {
  cases: { features: number[] }[];
};
const rows = fixtures.cases.map((c) => Float32Array.from(c.features));
const model = await loadRiskModel(modelPath);

for (let i = 0; i < rows.length * 10; i++) await model.predict([rows[i % rows.length]!]);

async function measure(fn: (i: number) => Promise<unknown>): Promise<LatencySummary> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < iterations; i++) {
    const t0 = performance.now();
    await fn(i);
    latencies.push(performance.now() - t0);
  }
  return summarize(latencies, 0, performance.now() - started);
}

const predictOnly = await measure((i) => model.predict([rows[i % rows.length]!]));
// What scoreChangeRisk does per call besides I/O: summarise a plan, build the vector, predict.
const samplePlan = {
  resource_changes: Array.from({ length: 20 }, (_, i) => ({
    address: `aws_instance.web[${i}]`,
    mode: 'managed' as const,
    type: i % 4 === 0 ? 'aws_db_instance' : 'aws_instance',
    name: 'web',
    change: { actions: [i % 5 === 0 ? 'delete' : 'create'], before: null, after: {} },
  })),
};
const history = { recentFailureRate: 0.1, deploymentsLast7Days: 3 };
const at = new Date('2026-11-24T10:00:00Z');
const endToEnd = await measure(() =>
  model.predict([
    extractRiskFeatures(summarizePlanChanges(samplePlan), { environment: 'production', at, history }),
  ]),
);

interface PythonResult {
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  per_second: number;
  onnxruntime: string;
}

function python(): PythonResult | string {
  const bin = path.join(toolsDir(), 'venv', 'bin', 'python');
  if (!existsSync(bin)) return `no Python venv at ${bin}`;
  const script = path.join(path.dirname(modelPath), 'bench_inference.py');
  const run = spawnSync(bin, [script, String(iterations)], { encoding: 'utf8' });
  if (run.status !== 0)
    return `Python benchmark failed (install models/requirements.txt): ${run.stderr.trim().split('\n').at(-1)}`;
  return JSON.parse(run.stdout) as PythonResult;
}
const py = python();

const f = (v: number) => v.toFixed(4);
const rowsOut = [
  [
    'onnxruntime-node: predict',
    f(predictOnly.p50),
    f(predictOnly.p99),
    f(predictOnly.mean),
    predictOnly.throughput.toFixed(0),
  ],
  [
    'onnxruntime-node: plan → features → predict',
    f(endToEnd.p50),
    f(endToEnd.p99),
    f(endToEnd.mean),
    endToEnd.throughput.toFixed(0),
  ],
];
if (typeof py !== 'string') {
  rowsOut.push([
    `Python onnxruntime ${py.onnxruntime}: predict`,
    f(py.p50_ms),
    f(py.p99_ms),
    f(py.mean_ms),
    py.per_second.toFixed(0),
  ]);
}
console.log(
  `change-risk inference, ${iterations} sequential single-row predictions, 1 intra-op thread (${model.version})`,
);
console.log(table(['Path', 'p50 ms', 'p99 ms', 'mean ms', 'predictions/s'], rowsOut));
const verdict = predictOnly.p99 < TARGET_P99_MS ? 'target met' : 'TARGET MISSED';
console.log(`p99 per prediction ${f(predictOnly.p99)} ms (target < ${TARGET_P99_MS} ms: ${verdict})`);
if (typeof py === 'string') console.log(`Python comparison skipped: ${py}`);
else {
  console.log(
    `Node/Python: p50 ${(predictOnly.p50 / py.p50_ms).toFixed(2)}x, throughput ${(predictOnly.throughput / py.per_second).toFixed(2)}x`,
  );
}
