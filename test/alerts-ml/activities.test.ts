import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import { createMlActivities } from '../../activities/ml/index.js';
import { createLogger } from '../../lib/logger.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { classify, judgeMetric } from './fixtures/ml-workflow.js';

const services = await testServices();
const client = await testClient(services);
// These activities never touch the database: a closed-over placeholder would hide a mistake, so pass none.
const deps = { temporal: client, logger: createLogger('test'), env: {} } as unknown as ActivityDeps;
const taskQueue = `${uniquePrefix('alerts-ml')}-ml`;
await startTestWorker(services, {
  taskQueue,
  workflows: false,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/ml-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }),
  activities: createMlActivities(deps),
});

const run = <A extends unknown[], R>(workflow: (...args: A) => Promise<R>, ...args: A) =>
  client.workflow.execute(workflow, { taskQueue, workflowId: `ml-${randomUUID()}`, args });

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError);
  const cause = error.cause?.cause as (Error & { type?: string; nonRetryable?: boolean }) | undefined;
  assert.equal(cause?.type, 'InvalidModelInput');
  return String(cause?.message);
}

describe('alert models on the ml pool', () => {
  it('classifyAlert proposes a root cause with a confidence', async () => {
    const result = await run(classify, {
      alertName: 'KubePodOOMKilled',
      summary: 'checkout container was OOMKilled 4 times in the last hour',
      labels: { namespace: 'prod', container: 'checkout', severity: 'critical' },
    });
    assert.equal(result.cause, 'MEMORY_LEAK');
    assert.ok(result.confidence > 0.6 && result.confidence <= 1);
    assert.match(result.modelVersion, /^alert-classifier@/);
    const sum = Object.values(result.probabilities).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-4);
  });

  it('isMetricNormal judges a window against a baseline', async () => {
    const values = Array.from({ length: 30 }, (_, i) => 40 + Math.cos(i) * 3);
    const verdict = await run(judgeMetric, { values, baseline: { mean: 40, sd: 2.5 } });
    assert.equal(verdict.normal, true);
    assert.match(verdict.modelVersion, /^metric-anomaly@/);
    const high = await run(judgeMetric, {
      values: values.map((v) => v * 3),
      baseline: { mean: 40, sd: 2.5 },
    });
    assert.equal(high.normal, false);
    assert.ok(high.score < verdict.score);
  });

  it('fails without retrying on bad input, naming the field', async () => {
    assert.match(
      await failure(run(classify, { alertName: 42 as unknown as string })),
      /classifyAlert: alertName: expected a string/,
    );
    assert.match(
      await failure(run(classify, { alertName: 'A', labels: { severity: 1 as unknown as string } })),
      /classifyAlert: labels.severity: expected a string, got number/,
    );
    assert.match(
      await failure(run(judgeMetric, { values: [1, 2, 3] })),
      /isMetricNormal: values: expected an array of 8 to 10000 numbers/,
    );
    assert.match(
      await failure(run(judgeMetric, { values: [1, 2, 3, 4, 5, 6, 7, null as unknown as number] })),
      /isMetricNormal: values\[7\]: expected a finite number, got null/,
    );
    assert.match(
      await failure(
        run(judgeMetric, { values: Array.from({ length: 10 }, () => 1), baseline: { mean: 1, sd: -1 } }),
      ),
      /isMetricNormal: baseline: expected \{ mean: number, sd: number >= 0 \}/,
    );
  });
});
