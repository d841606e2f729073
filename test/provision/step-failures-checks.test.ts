import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ScheduleNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { RISK_MODEL_INVALID } from '../../activities/ml/index.js';
import { TOPOLOGY_REJECTED } from '../../activities/store/topology.js';
import type { DestroyOutcome } from '../../activities/terraform/contract.js';
import { POLICY_DENIED } from '../../activities/trust/policy.js';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import { POLICY_ENTRYPOINT } from '../../lib/policy/evaluate.js';
import { defaultRiskModelPath } from '../../lib/risk/model.js';
import { requireOpa } from '../../lib/tofu-tools.js';
import { driftScheduleId } from '../../workflows/drift/contract.js';
import { onCleanup } from '../harness/cleanup.js';
import { activityResults, assertNothingLeft, failureType, tenantDatabaseLeftovers } from './nothing-left.js';
import { provisionFixture, type ProvisionFixture } from './provision-fixture.js';

/**
 * The saga's promise at the checks around apply (issue 4): guardrails that deny the plan, a change-risk
 * model the ml pool cannot use, and a topology registration PostgreSQL refuses after the apply each fail
 * the run for real, and it leaves no database, role, state, lock, reservation or workspace behind.
 */
const exec = promisify(execFile);
const dir = await mkdtemp(path.join(tmpdir(), 'dharma-step-checks-'));
onCleanup(() => rm(dir, { recursive: true, force: true }));

/** fixtures/frozen-environment.rego compiled to WebAssembly the way setup compiles policies/. */
async function frozenEnvironmentPolicy(): Promise<string> {
  const rego = fileURLToPath(new URL('fixtures/frozen-environment.rego', import.meta.url));
  const bundle = path.join(dir, 'bundle.tar.gz');
  await exec(requireOpa(), ['build', '-t', 'wasm', '-e', POLICY_ENTRYPOINT, '-o', bundle, rego]);
  await exec('tar', ['-xzf', bundle, '-C', dir, '/policy.wasm']);
  return path.join(dir, 'policy.wasm');
}

/** The shipped model beside a model-meta.json that names one feature fewer than lib/risk builds. */
async function mismatchedRiskModel(): Promise<string> {
  const shipped = defaultRiskModelPath();
  const modelDir = await mkdtemp(path.join(dir, 'risk-'));
  const modelPath = path.join(modelDir, 'model.onnx');
  await copyFile(shipped, modelPath);
  const meta = JSON.parse(await readFile(path.join(path.dirname(shipped), 'model-meta.json'), 'utf8')) as {
    features: string[];
  };
  await writeFile(
    path.join(modelDir, 'model-meta.json'),
    JSON.stringify({ ...meta, features: meta.features.slice(0, -1) }),
  );
  return modelPath;
}

const fx = await provisionFixture({ env: { trust: { POLICY_WASM: await frozenEnvironmentPolicy() } } });
const noRisk = await provisionFixture({ env: { ml: { RISK_MODEL_PATH: await mismatchedRiskModel() } } });
const starter = await readBlueprintFile(starterBlueprintPath('tenant-database'));
const unique = () => `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;

/** The tenant-database starter as a blueprint of its own: its id is the stack. */
const tenantBlueprint = (on: ProvisionFixture) => on.blueprint({ ...starter, name: `tenant-db-${unique()}` });

/** Deploys the blueprint for a tenant of its own; `leftovers` finds its database and roles. */
async function deployTenant(on: ProvisionFixture, blueprintId: string, environment: string) {
  const tenant = unique();
  const handle = await on.start({ blueprintId, environment, autoApply: true, variables: { tenant } });
  return {
    handle,
    stack: blueprintId,
    environment,
    leftovers: () => tenantDatabaseLeftovers(on, tenant, environment),
  };
}

function assertNonRetryable(failure: unknown): void {
  assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable, 'a failure that is not retried');
}

describe('a provision check that fails leaves nothing behind', () => {
  it('policy: guardrails that deny the database fail the run before anything is applied', async () => {
    const run = await deployTenant(fx, await tenantBlueprint(fx), 'frozen');
    const failure = await assertNothingLeft(fx, { ...run, state: 'failed' });
    assert.equal(failureType(failure), POLICY_DENIED);
    assertNonRetryable(failure);
    assert.equal(
      failure.message,
      "plan violates 1 policy rule(s): [frozen_environment] Database 'dharma_postgresql_database.db' " +
        'must not be created in a frozen environment',
    );
    assert.deepEqual(await activityResults(run.handle, 'applyPlan'), [], 'nothing was applied');
  });

  it('risk: a change-risk model that fits other features fails the run at once', async () => {
    const run = await deployTenant(noRisk, await tenantBlueprint(noRisk), 'dev');
    const failure = await assertNothingLeft(noRisk, { ...run, state: 'failed' });
    assert.equal(failureType(failure), RISK_MODEL_INVALID);
    assertNonRetryable(failure);
    assert.match(failure.message, /^scoreChangeRisk: .*model\.onnx: expects features \[creates, .*\]/);
    assert.deepEqual(await activityResults(run.handle, 'applyPlan'), [], 'nothing was applied');
  });

  it('register: a topology PostgreSQL refuses after the apply drops the database and roles just created', async () => {
    const blueprintId = await tenantBlueprint(fx);
    // Only this stack's database node is refused, so every other run on the fixture registers as usual.
    await fx.db.query(
      `ALTER TABLE topology_nodes ADD CONSTRAINT no_database_${unique()}
         CHECK (stack <> '${blueprintId}' OR address <> 'dharma_postgresql_database.db') NOT VALID`,
    );
    const run = await deployTenant(fx, blueprintId, 'dev');
    const failure = await assertNothingLeft(fx, { ...run, state: 'rolled_back' });
    assert.equal(failureType(failure), TOPOLOGY_REJECTED);
    assertNonRetryable(failure);
    assert.match(
      failure.message,
      new RegExp(`^registerTopology: ${blueprintId}:dev refused: .*violates check constraint`),
    );
    const [destroyed] = await activityResults(run.handle, 'destroyWorkspace');
    assert.equal((destroyed as DestroyOutcome).destroyed.length, 6, 'every resource the apply created');
    const nodes = await fx.db.query('SELECT 1 FROM topology_nodes WHERE stack = $1', [blueprintId]);
    assert.equal(nodes.rowCount, 0, 'no topology node of the stack');
    await assert.rejects(
      fx.client.schedule.getHandle(driftScheduleId(blueprintId, 'dev')).describe(),
      ScheduleNotFoundError,
      'no drift check scheduled for the destroyed stack',
    );
  });
});
