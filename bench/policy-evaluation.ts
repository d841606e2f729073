/**
 * Guardrail evaluation on a 1,000-resource plan: the compiled WebAssembly policy evaluated in-process (as
 * the trust pool does) against `opa eval` of the same Rego on the same input (what a user would run
 * otherwise). Target: < 10 ms per in-process evaluation. Both must report the same violations.
 * Usage: tsx bench/policy-evaluation.ts [resources] [iterations]   (defaults 1000, 200)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { table } from '../cli/output.js';
import { packageRoot } from '../lib/package-root.js';
import { loadPolicyEvaluator } from '../lib/policy/evaluate.js';
import { evaluateWithOpa } from '../lib/policy/opa-eval.js';
import type { PlanPolicyInput, ResourceChange, TerraformPlanJson } from '../lib/policy/types.js';
import { requireOpa } from '../lib/tofu-tools.js';
import { summarize, type LatencySummary } from './stats.js';

const TARGET_MS = 10;
const OPA_RUNS = 10;
const [resources, iterations] = [Number(process.argv[2] ?? 1000), Number(process.argv[3] ?? 200)];
if (!Number.isInteger(resources) || resources < 1 || !Number.isInteger(iterations) || iterations < 10) {
  console.error('usage: tsx bench/policy-evaluation.ts [resources >= 1] [iterations >= 10]');
  process.exit(2);
}

const FIXTURES = ['aws-violations.json', 'aws-compliant.json'];

/** Copies of the fixture plans' resource changes, renamed apart, until the plan has `count` of them. */
function largePlan(count: number): TerraformPlanJson {
  const sources = FIXTURES.map(
    (name) =>
      JSON.parse(
        readFileSync(path.join(packageRoot(), 'test', 'fixtures', 'plans', name), 'utf8'),
      ) as TerraformPlanJson,
  );
  const changes = sources.flatMap((plan) => plan.resource_changes ?? []);
  const resourceChanges: ResourceChange[] = [];
  for (let i = 0; resourceChanges.length < count; i++) {
    const change = changes[i % changes.length]!;
    const copy = Math.floor(i / changes.length);
    resourceChanges.push({
      ...change,
      name: `${change.name}_${copy}`,
      address: `${change.type}.${change.name}_${copy}`,
    });
  }
  return { ...sources[0], resource_changes: resourceChanges };
}

const input: PlanPolicyInput = { environment: 'production', plan: largePlan(resources) };
const evaluator = await loadPolicyEvaluator();
const opaBinary = requireOpa();
const policiesDir = path.join(packageRoot(), 'policies');

console.log(
  `evaluating ${resources} resource changes: ${iterations} times in-process, ${OPA_RUNS} times with opa eval`,
);
const inProcessResult = evaluator.evaluate(input);
const opaResult = await evaluateWithOpa(input, { opaBinary, policiesDir });
const agree = JSON.stringify(inProcessResult) === JSON.stringify(opaResult);

async function measure(runs: number, fn: () => unknown): Promise<LatencySummary> {
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    latencies.push(performance.now() - t0);
  }
  return summarize(latencies, 0, performance.now() - started);
}

const inProcess = await measure(iterations, () => evaluator.evaluate(input));
const opa = await measure(OPA_RUNS, () => evaluateWithOpa(input, { opaBinary, policiesDir }));
const row = (name: string, s: LatencySummary) => [
  name,
  s.count,
  s.p50.toFixed(2),
  s.p99.toFixed(2),
  s.mean.toFixed(2),
];
console.log(
  table(
    ['Evaluator', 'Runs', 'p50 ms', 'p99 ms', 'mean ms'],
    [row('in-process WebAssembly (Dharma)', inProcess), row('opa eval (process per evaluation)', opa)],
  ),
);
console.log(
  `violations: ${inProcessResult.denies.length} deny, ${inProcessResult.warnings.length} warn; ` +
    `in-process and opa eval ${agree ? 'agree' : 'DISAGREE'}`,
);
console.log(
  `mean ratio opa eval / in-process: ${(opa.mean / inProcess.mean).toFixed(1)}x; in-process mean ` +
    `${inProcess.mean.toFixed(2)} ms per evaluation (target < ${TARGET_MS} ms: ` +
    `${inProcess.mean < TARGET_MS ? 'target met' : 'TARGET MISSED'}), p99 ${inProcess.p99.toFixed(2)} ms`,
);
if (!agree) process.exit(1);
