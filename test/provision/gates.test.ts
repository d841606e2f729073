import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { bundleWorkflowCode } from '@temporalio/worker';
import { POLICY_DENIED } from '../../activities/trust/policy.js';
import { putArtifact } from '../../lib/artifacts/store.js';
import { getDeployment } from '../../lib/deployments/repository.js';
import { taskQueueFor } from '../../lib/pools.js';
import {
  approvalStatusQuery,
  approveUpdate,
  deploymentQuery,
  progressQuery,
} from '../../workflows/provision/contract.js';
import { startTestWorker, uniquePrefix } from '../harness/temporal.js';
import { policyCheck } from './fixtures/policy-check-workflow.js';
import { provisionFixture } from './provision-fixture.js';

const fx = await provisionFixture();

const LOCAL_RESOURCES = {
  provider: 'local' as const,
  region: 'local',
  resources: [{ type: 'terraform_data', name: 'marker', properties: { input: 'hello' } }],
  outputs: { marker: { value: '${terraform_data.marker.output}' } },
};

async function until<T>(probe: () => Promise<T>, accept: (v: T) => boolean, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

function rootCause(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) return current;
    current = current.cause;
  }
  return undefined;
}

describe('provision gates', () => {
  it('refuses a policy-violating plan with every violation listed (AWS plan fixture, trust pool)', async () => {
    const plan = await readFile(new URL('../fixtures/plans/aws-violations.json', import.meta.url), 'utf8');
    const planJsonRef = await putArtifact(fx.db, {
      kind: 'plan-json',
      content: plan,
      mediaType: 'application/json',
    });
    const queue = `${uniquePrefix('policy')}-orchestration`;
    await startTestWorker(fx.services, {
      taskQueue: queue,
      workflows: false,
      workflowBundle: await bundleWorkflowCode({
        workflowsPath: fileURLToPath(new URL('./fixtures/policy-check-workflow.ts', import.meta.url)),
        logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
      }),
    });
    const error = await fx.client.workflow
      .execute(policyCheck, {
        taskQueue: queue,
        workflowId: `policy-${randomUUID()}`,
        args: [{ planJsonRef, environment: 'production' }, taskQueueFor('trust', fx.prefix)],
      })
      .then(
        () => assert.fail('the plan must be denied'),
        (e: unknown) => e,
      );
    assert.ok(error instanceof WorkflowFailedError);
    const failure = rootCause(error);
    assert.equal(failure?.type, POLICY_DENIED);
    assert.equal(failure?.nonRetryable, true);
    const [result] = failure?.details as [{ denies: { rule: string; address: string; message: string }[] }];
    assert.ok(result.denies.length >= 2, 'more than one rule is violated');
    for (const deny of result.denies) assert.ok(failure?.message.includes(deny.message), deny.message);
    assert.match(String(failure?.message), /must have server-side encryption enabled/);
    assert.match(String(failure?.message), /must not be publicly accessible/);
  });

  it('waits for approval in production and completes after the approve update', async () => {
    const blueprintId = await fx.blueprint(LOCAL_RESOURCES);
    const handle = await fx.start({ blueprintId, environment: 'production', autoApply: true });
    const status = await until(
      () => handle.query(approvalStatusQuery),
      (s) => s.state === 'pending',
    );
    const view = await handle.query(deploymentQuery);
    assert.equal(view.state, 'awaiting_approval');
    assert.equal(status.changeHash, view.planHash, 'the approval names the plan');
    assert.match(String(status.summary), /plan: \+1 ~0 -0/);
    assert.match(String(status.summary), /cost USD 0\.00\/month/);
    assert.match(String(status.summary), /risk \d\.\d{3} \((low|medium|high)\)/);
    assert.ok(status.warnings.includes('approval needed: production deployments need an approval'));
    assert.equal((await getDeployment(fx.db, handle.workflowId))?.state, 'awaiting_approval');

    await handle.executeUpdate(approveUpdate, {
      args: [{ approver: 'bob', roles: ['approver'], changeHash: status.changeHash!, reason: 'looks fine' }],
    });
    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.view.approval?.approver, 'bob');
    assert.deepEqual(
      result.view.access?.map((d) => [d.role, d.subject, d.decision]),
      [
        ['requester', 'alice', 'ALLOW'],
        ['approver', 'bob', 'ALLOW'],
      ],
    );
    const row = await getDeployment(fx.db, handle.workflowId);
    assert.equal(row?.approver, 'bob');
    assert.equal(row?.state, 'completed');
  });

  it('runs two deployments of one stack one after the other', async () => {
    const blueprintId = await fx.blueprint(LOCAL_RESOURCES);
    // The first one holds the stack lock while it waits for an approval (auto-apply not asked for).
    const first = await fx.start({ blueprintId, environment: 'staging' });
    const pending = await until(
      () => first.query(approvalStatusQuery),
      (s) => s.state === 'pending',
    );
    const second = await fx.start({ blueprintId, environment: 'staging', autoApply: true });
    await until(
      () => second.query(progressQuery),
      (p) => p.step.startsWith('queued for the lock'),
    );
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal((await second.query(progressQuery)).state, 'queued', 'the second waits, it is not refused');

    await first.executeUpdate(approveUpdate, {
      args: [{ approver: 'bob', roles: ['approver'], changeHash: pending.changeHash! }],
    });
    await first.result();
    const result = await second.result();
    assert.equal(result.status, 'completed');
    const [a, b] = await Promise.all([
      getDeployment(fx.db, first.workflowId),
      getDeployment(fx.db, second.workflowId),
    ]);
    assert.ok(a?.completedAt && b?.completedAt && a.completedAt < b.completedAt);
    assert.equal(result.view.plan?.add, 0, 'the second plans against what the first applied');
  });
});
