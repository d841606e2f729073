import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ApplicationFailure, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import type { BlueprintInput } from '../../lib/blueprints/schema.js';
import { taskQueueFor } from '../../lib/pools.js';
import { DRIFT_CHECK_WORKFLOW_TYPE, driftScheduleId } from '../../workflows/drift/contract.js';
import type { DriftCheckInput, DriftCheckResult } from '../../workflows/drift/contract.js';
import { APPROVAL_REFUSALS } from '../../workflows/lib/approval-contract.js';
import {
  approvalStatusQuery,
  approveUpdate,
  deploymentQuery,
  deploymentWorkflowId,
  type ProvisionResult,
} from '../../workflows/provision/contract.js';
import type { provision } from '../../workflows/provision/workflow.js';
import { until } from '../api/api-fixture.js';
import { onCleanup } from '../harness/cleanup.js';
import { provisionFixture } from './provision-fixture.js';

const fx = await provisionFixture();
const directory = await mkdtemp(path.join(tmpdir(), 'dharma-drift-reconcile-'));
onCleanup(() => rm(directory, { recursive: true, force: true }));
const starter = await readBlueprintFile(starterBlueprintPath('scratch-files'));

/** Deploys the scratch-files starter to dev (auto-applied) and returns what the drift checks need. */
async function deployScratch(drift?: BlueprintInput['drift']) {
  const blueprintId = await fx.blueprint({
    ...starter,
    name: `scratch-${randomUUID().slice(0, 8)}`,
    ...(drift ? { drift } : {}),
  });
  const deployed = await fx
    .start({ blueprintId, environment: 'dev', autoApply: true, variables: { directory } })
    .then((handle) => handle.result());
  assert.equal(deployed.status, 'completed');
  const file = String(deployed.outputs.file);
  const original = await readFile(file, 'utf8');
  assert.match(original, /^token \w{16} for dev\n$/);
  // The check runs with exactly what the deployment scheduled, so the blueprint's opt-in is what is tested.
  const schedule = await fx.client.schedule.getHandle(driftScheduleId(blueprintId, 'dev')).describe();
  assert.equal(schedule.action.type, 'startWorkflow');
  const check = schedule.action.args?.[0] as DriftCheckInput;
  return { blueprintId, deployed, file, original, check };
}

async function runDriftCheck(check: DriftCheckInput) {
  const handle = await fx.client.workflow.start(DRIFT_CHECK_WORKFLOW_TYPE, {
    taskQueue: taskQueueFor('orchestration', fx.prefix),
    workflowId: `drift-test-${randomUUID().slice(0, 8)}`,
    args: [check],
  });
  const result = (await handle.result()) as DriftCheckResult;
  const { events } = await handle.fetchHistory();
  const childrenStarted = (events ?? [])
    .map((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)
    .filter((a) => a != null);
  return {
    checkId: handle.workflowId,
    result,
    childrenStarted: childrenStarted.map((a) => ({ workflowId: a.workflowId, type: a.workflowType?.name })),
  };
}

async function driftEvents(blueprintId: string) {
  const { rows } = await fx.db.query<{ data: { deploymentId: string; summary: unknown } }>(
    `SELECT data FROM events_outbox WHERE event_type = 'DriftDetected' AND aggregate_id = $1`,
    [`${blueprintId}:dev`],
  );
  return rows;
}

describe('drift reconciliation', () => {
  it('reconciles an opted-in stack: DriftDetected, a reconcile run through the approval path, file restored, back in sync', async () => {
    const { blueprintId, deployed, file, original, check } = await deployScratch({
      interval: '6h',
      reconcile: true,
    });
    assert.equal(check.reconcile, true, 'the schedule carries the blueprint drift.reconcile');
    assert.equal(check.requester, 'alice');

    await writeFile(file, 'edited by hand\n');
    const first = await runDriftCheck(check);
    assert.equal(first.result.status, 'drifted');
    assert.equal(first.result.deploymentId, deployed.deploymentId);
    assert.equal(first.result.version, '1.0.0');
    const events = await driftEvents(blueprintId);
    assert.equal(events.length, 1, 'one DriftDetected event');
    assert.equal(events[0]?.data.deploymentId, deployed.deploymentId);

    // The reconcile run is a child of the check (abandoned, so it outlives it), named in the result.
    const reconcileId = first.result.reconcileWorkflowId;
    assert.ok(reconcileId, 'the result names the reconcile run');
    assert.ok(reconcileId.startsWith(deploymentWorkflowId(blueprintId, 'dev', 'reconcile-')));
    assert.deepEqual(first.childrenStarted, [{ workflowId: reconcileId, type: 'provision' }]);
    const reconcile: WorkflowHandle<typeof provision> = fx.client.workflow.getHandle(reconcileId);
    const description = await reconcile.describe();
    assert.equal(description.type, 'provision');
    assert.equal(description.parentExecution?.workflowId, first.checkId);
    assert.equal(description.taskQueue, taskQueueFor('orchestration', fx.prefix));

    // Same approval path as any deployment: no auto-apply was asked for, so a person must approve it.
    const pending = await until(
      () => reconcile.query(approvalStatusQuery),
      (s) => s.state === 'pending',
      60_000,
    );
    assert.equal(pending.requester, 'alice');
    assert.equal(pending.environment, 'dev');
    assert.ok(
      pending.warnings.includes('approval needed: auto-apply was not requested'),
      pending.warnings.join('; '),
    );
    const waiting = await reconcile.query(deploymentQuery);
    assert.equal(waiting.state, 'awaiting_approval');
    assert.equal(waiting.version, '1.0.0', 'the deployed version is applied again');
    assert.equal(pending.changeHash, waiting.planHash, 'the approval names the reconcile plan');
    assert.ok(
      waiting.plan?.resources.some((r) => r.address === 'dharma_file.scratch' && r.action !== 'no-op'),
      `the plan puts the file back: ${JSON.stringify(waiting.plan)}`,
    );
    assert.equal(await readFile(file, 'utf8'), 'edited by hand\n', 'nothing is applied before the approval');

    await assert.rejects(
      reconcile.executeUpdate(approveUpdate, {
        args: [{ approver: 'alice', roles: ['approver'], changeHash: pending.changeHash! }],
      }),
      (err: unknown) =>
        err instanceof WorkflowUpdateFailedError &&
        err.cause instanceof ApplicationFailure &&
        err.cause.type === APPROVAL_REFUSALS.forbidden,
      'the requester cannot approve their own reconcile run',
    );
    await reconcile.executeUpdate(approveUpdate, {
      args: [{ approver: 'bob', roles: ['approver'], changeHash: pending.changeHash!, reason: 'restore' }],
    });
    const reconciled: ProvisionResult = await reconcile.result();
    assert.equal(reconciled.status, 'completed');
    assert.equal(reconciled.version, '1.0.0');
    assert.equal(reconciled.view.approval?.approver, 'bob');
    assert.equal(reconciled.outputs.file, file);
    assert.equal(await readFile(file, 'utf8'), original, 'the apply restores the deployed content');

    const second = await runDriftCheck(check);
    assert.equal(second.result.status, 'in_sync');
    assert.equal(second.result.deploymentId, reconciled.deploymentId, 'compared with the reconcile run');
    assert.equal(second.result.reconcileWorkflowId, undefined);
    assert.deepEqual(second.childrenStarted, []);
    assert.equal((await driftEvents(blueprintId)).length, 1, 'no new DriftDetected event');
  });

  it('only reports drift for a stack that did not opt in: no run is started, the file stays edited', async () => {
    const { blueprintId, deployed, file, check } = await deployScratch();
    assert.equal(check.reconcile, false, 'reconcile is off without drift.reconcile');

    await writeFile(file, 'edited by hand\n');
    const checked = await runDriftCheck(check);
    assert.equal(checked.result.status, 'drifted');
    assert.equal(checked.result.reconcileWorkflowId, undefined);
    assert.deepEqual(checked.childrenStarted, [], 'no child workflow started');
    assert.equal((await driftEvents(blueprintId)).length, 1);

    const { rows } = await fx.db.query<{ id: string }>(
      `SELECT id FROM deployments WHERE stack = $1 AND environment = 'dev'`,
      [blueprintId],
    );
    assert.deepEqual(
      rows.map((r) => r.id),
      [deployed.deploymentId],
      'no other deployment of the stack',
    );
    assert.equal(await readFile(file, 'utf8'), 'edited by hand\n');
  });
});
