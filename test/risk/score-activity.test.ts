import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import { createMlActivities, type ScoreChangeRiskInput } from '../../activities/ml/index.js';
import { upsertRun } from '../../lib/db/runs.js';
import { createLogger } from '../../lib/logger.js';
import { summarizePlanChanges } from '../../lib/risk/features.js';
import { stackHistory } from '../../lib/risk/history.js';
import { change, plan } from '../cost/plan-builder.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { scoreChange } from './fixtures/score-workflow.js';

const services = await testServices();
const client = await testClient(services);
const { db } = await freshDatabase(services);
const deps: ActivityDeps = { db, temporal: client, logger: createLogger('test'), env: {} };
const taskQueue = `${uniquePrefix('risk')}-ml`;
await startTestWorker(services, {
  taskQueue,
  workflows: false,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/score-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }),
  activities: createMlActivities(deps),
});

const score = (input: ScoreChangeRiskInput) =>
  client.workflow.execute(scoreChange, { taskQueue, workflowId: `score-${randomUUID()}`, args: [input] });

const quiet = { recentFailureRate: 0, deploymentsLast7Days: 2 };
const tuesdayMorning = '2026-11-24T10:00:00Z';
const smallCreate = summarizePlanChanges(plan(change('dharma_random_string.name', ['create'], null, {})));
const destructive = plan(
  ...Array.from({ length: 6 }, (_, i) => change(`aws_db_instance.db${i}`, ['delete'], {}, null)),
  ...Array.from({ length: 4 }, (_, i) => change(`aws_iam_role.r${i}`, ['delete', 'create'], {}, {})),
);

describe('scoreChangeRisk on the ml pool', () => {
  it('scores a small dev change low and a destructive production change at night high', async () => {
    const low = await score({ summary: smallCreate, environment: 'dev', at: tuesdayMorning, history: quiet });
    assert.equal(low.level, 'low');
    assert.ok(low.score >= 0 && low.score < 0.1, `low score ${low.score}`);
    assert.match(low.modelVersion, /^change-risk@/);
    assert.equal(low.features.env_dev, 1);
    assert.equal(low.features.creates, 1);

    const high = await score({
      plan: destructive,
      environment: 'production',
      at: '2026-11-21T23:00:00Z',
      history: { recentFailureRate: 0.5, deploymentsLast7Days: 9 },
    });
    assert.equal(high.level, 'high');
    assert.ok(high.score > low.score);
    assert.deepEqual([high.features.deletes, high.features.replaces, high.features.weekend], [6, 4, 1]);
  });

  it('reads the stack history from the runs table when none is given', async () => {
    const stack = `stack-${randomUUID().slice(0, 8)}`;
    const states = ['completed', 'failed', 'completed', 'rolled_back', 'completed'];
    for (const [i, state] of states.entries()) {
      await upsertRun(db, {
        workflowId: `${stack}-${i}`,
        runId: randomUUID(),
        workflowType: 'provision',
        environment: 'staging',
        target: stack,
        state,
      });
    }
    // Another environment and another workflow type are not this stack's history.
    await upsertRun(db, {
      workflowId: `${stack}-prod`,
      runId: randomUUID(),
      workflowType: 'provision',
      environment: 'production',
      target: stack,
      state: 'failed',
    });
    await upsertRun(db, {
      workflowId: `${stack}-other`,
      runId: randomUUID(),
      workflowType: 'remediate',
      environment: 'staging',
      target: stack,
      state: 'failed',
    });
    const at = new Date(Date.now() + 1000);
    assert.deepEqual(await stackHistory(db, { target: stack, environment: 'staging', at }), {
      recentFailureRate: 0.4,
      deploymentsLast7Days: 5,
    });
    assert.deepEqual(await stackHistory(db, { target: 'new-stack', environment: 'staging', at }), {
      recentFailureRate: 0,
      deploymentsLast7Days: 0,
    });

    const result = await score({ summary: smallCreate, environment: 'staging', at: at.toISOString(), stack });
    assert.equal(result.features.deployments_7d, 5);
    assert.ok(Math.abs(result.features.recent_failure_rate - 0.4) < 1e-6);
  });

  it('fails without retrying on bad input, naming the field', async () => {
    const failure = async (input: ScoreChangeRiskInput) => {
      const error = await score(input).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof WorkflowFailedError);
      return String((error.cause?.cause as Error | undefined)?.message);
    };
    assert.match(
      await failure({ summary: smallCreate, environment: 'dev', at: 'yesterday', history: quiet }),
      /scoreChangeRisk: at: expected an ISO 8601 time, got "yesterday"/,
    );
    assert.match(
      await failure({ summary: smallCreate, environment: 'dev', at: tuesdayMorning }),
      /scoreChangeRisk: history or stack: expected one of them/,
    );
  });
});
