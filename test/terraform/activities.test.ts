import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type {
  ApplyOutcome,
  CleanupOutcome,
  DestroyOutcome,
  DriftOutcome,
  PlannedDeployment,
  PlanOutcome,
  PreparedWorkspace,
  PrepareWorkspaceInput,
} from '../../activities/terraform/contract.js';
import { getArtifact } from '../../lib/artifacts/store.js';
import { saveWorkspace } from '../../lib/artifacts/workspaces.js';
import type { TerraformPlanJson } from '../../lib/policy/types.js';
import { prepareInput, terraformFixture } from './terraform-fixture.js';

const fx = await terraformFixture();

/** Workflow histories carry refs and summaries only: a whole step's history stays small. */
const SMALL_HISTORY = 16_000;

const clock = await fx.blueprint({
  name: `clock-${randomUUID().slice(0, 8)}`,
  provider: 'local',
  region: 'local',
  variables: { days: { type: 'number', default: 1 } },
  resources: [
    { type: 'time_static', name: 'born' },
    {
      type: 'terraform_data',
      name: 'marker',
      properties: { input: '${local.stack}-${time_static.born.unix}' },
    },
    {
      type: 'time_offset',
      name: 'later',
      properties: { base_rfc3339: '${time_static.born.rfc3339}', offset_days: '${var.days}' },
    },
  ],
  outputs: {
    born: { value: '${time_static.born.rfc3339}' },
    later_year: { value: '${time_offset.later.year}' },
    marker: { value: '${terraform_data.marker.output}' },
    born_unix: { value: '${time_static.born.unix}', sensitive: true },
  },
});

const clockInput = (overrides: Partial<PrepareWorkspaceInput> = {}) => prepareInput(clock, overrides);

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => assert.fail('expected the step to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError, `expected WorkflowFailedError, got ${String(error)}`);
  const cause = error.cause?.cause;
  assert.ok(cause instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(cause)}`);
  return cause;
}

async function stateRows(schema: string): Promise<Array<{ name: string; resources: unknown[] }>> {
  const { rows } = await fx.db.query<{ name: string; data: string }>(
    `SELECT name, data FROM "${schema}".states`,
  );
  return rows.map((r) => ({
    name: r.name,
    resources: (JSON.parse(r.data) as { resources: unknown[] }).resources,
  }));
}

describe('terraform activities (real tofu, pg state backend, real worker)', () => {
  it('prepare → plan → apply → re-plan → drift → destroy → cleanup, with only refs in history', async () => {
    const prepared = await fx.run<PreparedWorkspace>('prepareWorkspace', clockInput());
    const ws = prepared.result;
    assert.match(ws.workspaceId, /^ws_/);
    assert.match(ws.configRef, /^art_[0-9a-f]{64}$/);
    assert.equal(ws.stateSchema, `tfstate_${ws.stack.replaceAll('-', '_')}_dev`);

    const plan = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    assert.deepEqual(
      { ...plan.result.summary, resources: undefined },
      { add: 3, change: 0, destroy: 0, replace: 0, resources: undefined },
    );
    assert.deepEqual(plan.result.summary.resources.map((r) => `${r.action} ${r.address}`).sort(), [
      'create terraform_data.marker',
      'create time_offset.later',
      'create time_static.born',
    ]);
    assert.equal(plan.result.hasChanges, true);
    assert.match(plan.result.planHash, /^sha256:[0-9a-f]{64}$/);
    const planJson = JSON.parse(
      (await getArtifact(fx.db, plan.result.planJsonRef)).content.toString(),
    ) as TerraformPlanJson;
    assert.equal(planJson.resource_changes?.length, 3, 'the plan JSON is stored by ref');
    assert.ok(
      (await getArtifact(fx.db, plan.result.planRef)).content.length > 0,
      'the saved plan is stored by ref',
    );
    assert.ok(plan.historyBytes < SMALL_HISTORY, `plan history is ${plan.historyBytes} bytes`);

    const again = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    assert.equal(
      again.result.planHash,
      plan.result.planHash,
      're-planning the same change gives the same hash',
    );

    const applied = await fx.run<ApplyOutcome>('applyPlan', { workspace: ws, plan: plan.result });
    const { outputs, sensitiveOutputs, resources } = applied.result;
    assert.match(String(outputs.born), /^\d{4}-\d{2}-\d{2}T/);
    assert.equal(typeof outputs.later_year, 'number');
    assert.match(String(outputs.marker), new RegExp(`^${ws.stack}-\\d+$`));
    assert.deepEqual(sensitiveOutputs, ['born_unix']);
    assert.equal('born_unix' in outputs, false, 'sensitive values never leave the worker');
    assert.deepEqual(resources.map((r) => r.address).sort(), [
      'terraform_data.marker',
      'time_offset.later',
      'time_static.born',
    ]);
    assert.ok(applied.historyBytes < SMALL_HISTORY, `apply history is ${applied.historyBytes} bytes`);
    const log = (await getArtifact(fx.db, applied.result.logRef)).content.toString();
    assert.match(log, /Creation complete/);

    const rows = await stateRows(ws.stateSchema);
    assert.deepEqual(
      rows.map((r) => [r.name, r.resources.length]),
      [['default', 3]],
      'state lives in the pg backend',
    );

    const replan = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    assert.equal(replan.result.hasChanges, false);
    assert.deepEqual(replan.result.summary.resources, []);

    const drift = await fx.run<DriftOutcome>('detectDrift', { workspace: ws });
    assert.equal(drift.result.drifted, false);

    const destroyed = await fx.run<DestroyOutcome>('destroyWorkspace', { workspace: ws });
    assert.deepEqual(destroyed.result.destroyed.sort(), [
      'terraform_data.marker',
      'time_offset.later',
      'time_static.born',
    ]);
    assert.deepEqual(
      (await stateRows(ws.stateSchema)).map((r) => r.resources.length),
      [0],
      'the state is empty after destroy',
    );
    const repeated = await fx.run<DestroyOutcome>('destroyWorkspace', { workspace: ws });
    assert.deepEqual(repeated.result.destroyed, [], 'destroying again is a successful no-op');

    const cleaned = await fx.run<CleanupOutcome>('cleanupWorkspace', { workspace: ws });
    assert.equal(cleaned.result.stateDropped, true);
    const { rows: schemas } = await fx.db.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [
      ws.stateSchema,
    ]);
    assert.equal(schemas.length, 0, 'the empty state schema is dropped');
    const { rows: marked } = await fx.db.query('SELECT cleaned_at FROM workspaces WHERE workspace_id = $1', [
      ws.workspaceId,
    ]);
    assert.ok(marked[0]?.cleaned_at instanceof Date);
  });

  it('prepare is idempotent and refuses an unknown blueprint version as InvalidBlueprint', async () => {
    const input = clockInput();
    const first = await fx.run<PreparedWorkspace>('prepareWorkspace', input);
    const second = await fx.run<PreparedWorkspace>('prepareWorkspace', input);
    assert.deepEqual(second.result, first.result);
    const { rows } = await fx.db.query('SELECT count(*)::int AS n FROM workspaces WHERE deployment_id = $1', [
      input.deploymentId,
    ]);
    assert.equal(rows[0]?.n, 1);

    const failure = await failureOf(fx.run('prepareWorkspace', clockInput({ blueprintVersion: '9.9.9' })));
    assert.equal(failure.type, 'InvalidBlueprint');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /has no version "9\.9\.9"/);
  });

  it('gives stacks whose names differ only in spelling schemas of their own; a stack keeps the one it used', async () => {
    const unique = randomUUID().slice(0, 8);
    const kebab = await fx.prepare(clock, { stack: `web-${unique}` });
    const snake = await fx.prepare(clock, { stack: `web_${unique}` });
    assert.equal(kebab.stateSchema, `tfstate_web_${unique}_dev`);
    assert.notEqual(snake.stateSchema, kebab.stateSchema);

    // A stack deployed while schemas were named the old way keeps its state where it is.
    const legacy = `Legacy_${unique}`;
    await saveWorkspace(fx.db, {
      workspaceId: `ws_legacy_${unique}`,
      deploymentId: `dep-legacy-${unique}`,
      blueprintId: clock,
      version: '1.0.0',
      environment: 'dev',
      stack: legacy,
      stateSchema: `tfstate_legacy_${unique}_dev`,
      configRef: kebab.configRef,
      configHash: kebab.configHash,
    });
    assert.equal((await fx.prepare(clock, { stack: legacy })).stateSchema, `tfstate_legacy_${unique}_dev`);
  });

  it('reports a configuration tofu rejects as a non-retryable TofuConfigError naming the problem', async () => {
    const broken = await fx.blueprint({
      name: `broken-${randomUUID().slice(0, 8)}`,
      provider: 'local',
      region: 'local',
      resources: [{ type: 'time_static', name: 'born', properties: { no_such_argument: 1 } }],
    });
    const { result: ws } = await fx.run<PreparedWorkspace>(
      'prepareWorkspace',
      clockInput({ blueprintId: broken }),
    );
    const handle = await fx.start('planWorkspace', { workspace: ws });
    const failure = await failureOf(handle.result());
    assert.equal(failure.type, 'TofuConfigError');
    assert.equal(failure.nonRetryable, true);
    assert.match(failure.message, /no_such_argument/);
    assert.doesNotMatch(failure.message, /\n\s+at /, 'no stack trace in the message');
    const { raw } = await handle.describe();
    assert.equal(raw.pendingActivities?.length ?? 0, 0);
    const history = await handle.fetchHistory();
    const attempts = history.events
      ?.filter((e) => e.activityTaskStartedEventAttributes)
      .map((e) => e.activityTaskStartedEventAttributes!.attempt);
    assert.deepEqual(attempts, [1], 'not retried');
  });

  it('refuses to apply a plan made stale by a later apply, and a plan whose hash is not the approved one', async () => {
    const { result: ws } = await fx.run<PreparedWorkspace>('prepareWorkspace', clockInput());
    const { result: first } = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    const { result: second } = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    await fx.run('applyPlan', { workspace: ws, plan: second });

    const stale = await failureOf(fx.run('applyPlan', { workspace: ws, plan: first }));
    assert.equal(stale.type, 'StalePlan');
    assert.equal(stale.nonRetryable, true);
    assert.match(stale.message, /stale/i);

    const { result: destroyPlan } = await fx.run<PlanOutcome>('planWorkspace', {
      workspace: ws,
      destroy: true,
    });
    assert.equal(destroyPlan.summary.destroy, 3);
    const forged = await failureOf(
      fx.run('applyPlan', { workspace: ws, plan: { ...destroyPlan, planHash: first.planHash } }),
    );
    assert.equal(forged.type, 'StalePlan');
    assert.match(forged.message, /not the approved/);
    assert.equal((await stateRows(ws.stateSchema))[0]?.resources.length, 3, 'nothing was destroyed');
    await fx.run('destroyWorkspace', { workspace: ws });
  });

  it('planDeployment prepares and plans in one step; its undo cleans the workspace by the deployment', async () => {
    const input = clockInput();
    const { result } = await fx.run<PlannedDeployment>('planDeployment', input);
    const { result: prepared } = await fx.run<PreparedWorkspace>('prepareWorkspace', input);
    assert.deepEqual(result.workspace, prepared, 'the same workspace prepareWorkspace makes');
    assert.equal(result.plan.summary.add, 3);
    assert.match(result.plan.planHash, /^sha256:[0-9a-f]{64}$/);

    const deployment = { deploymentId: input.deploymentId, stack: input.stack, environment: 'dev' };
    const cleaned = await fx.run<CleanupOutcome>('cleanupWorkspace', { deployment });
    assert.equal(cleaned.result.stateDropped, true, 'nothing was applied: the empty state schema goes');
    const { rows } = await fx.db.query('SELECT cleaned_at FROM workspaces WHERE workspace_id = $1', [
      result.workspace.workspaceId,
    ]);
    assert.ok(rows[0]?.cleaned_at instanceof Date);

    const never = { ...deployment, deploymentId: `dep-${randomUUID().slice(0, 8)}` };
    const nothing = await fx.run<CleanupOutcome>('cleanupWorkspace', { deployment: never });
    assert.deepEqual(nothing.result, { stateDropped: false }, 'a workspace never prepared: nothing to clean');
    const missing = await failureOf(fx.run('cleanupWorkspace', { deployment: { ...deployment, stack: '' } }));
    assert.equal(missing.type, 'InvalidInput');
    assert.match(missing.message, /deployment\.stack/);
  });
});
