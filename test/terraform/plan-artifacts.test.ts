import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../../activities/deps.js';
import type { ApplyOutcome, PlanOutcome, PreparedWorkspace } from '../../activities/terraform/contract.js';
import { initializedDir, sharedConfig } from '../../activities/terraform/shared-init.js';
import { stateConnString } from '../../activities/terraform/workdir.js';
import { ArtifactCorrupt, artifactRef, getArtifactText } from '../../lib/artifacts/store.js';
import { REDACTED } from '../../lib/deployments/plan-redact.js';
import { createLogger } from '../../lib/logger.js';
import { TERRAFORM_FAILURES } from '../../lib/tofu/activity-options.js';
import { requireTofu, tofuCliConfigFile, tofuEnv } from '../../lib/tofu-tools.js';
import { tofuProcessEnv } from '../../lib/tofu/runner.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import { onCleanup } from '../harness/cleanup.js';
import { terraformFixture } from './terraform-fixture.js';

/**
 * What the terraform pool keeps between plan and apply (issue 4): the plan JSON stored without secrets,
 * the plan bound to its hash at plan time, and one `tofu init` per provider set instead of one per run.
 */
const fx = await terraformFixture();
const SECRET = `s3cr3t-${randomUUID()}`;

const secretStack = await fx.blueprint({
  name: `secret-${randomUUID().slice(0, 8)}`,
  provider: 'local',
  region: 'local',
  variables: { token: { type: 'string', sensitive: true, default: SECRET } },
  resources: [{ type: 'terraform_data', name: 'holder', properties: { input: '${var.token}' } }],
  outputs: { token: { value: '${terraform_data.holder.output}', sensitive: true } },
});

const clockStack = await fx.blueprint({
  name: `clock-${randomUUID().slice(0, 8)}`,
  provider: 'local',
  region: 'local',
  resources: [{ type: 'time_static', name: 'born' }],
});

async function planned(): Promise<{ ws: PreparedWorkspace; plan: PlanOutcome }> {
  const { result: ws } = await fx.run<PreparedWorkspace>('prepareWorkspace', {
    deploymentId: `dep-${randomUUID().slice(0, 8)}`,
    blueprintId: secretStack,
    blueprintVersion: '1.0.0',
    environment: 'dev',
    stack: `secret-${randomUUID().slice(0, 8)}`,
  });
  const { result: plan } = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
  return { ws, plan };
}

/** The ref of the binding planWorkspace stores (plan-binding.ts): the artifact of exactly this content. */
function bindingRef(ws: PreparedWorkspace, plan: PlanOutcome): string {
  return artifactRef(
    canonicalJson({
      format: 'dharma.plan-binding/v1',
      planRef: plan.planRef,
      planHash: plan.planHash,
      configHash: ws.configHash,
    }),
  );
}

async function stateText(schema: string): Promise<string> {
  const { rows } = await fx.db.query<{ data: string }>(`SELECT data FROM "${schema}".states`);
  return rows.map((r) => r.data).join('\n');
}

async function applyFailure(ws: PreparedWorkspace, plan: PlanOutcome): Promise<ApplicationFailure> {
  const error = await fx.run('applyPlan', { workspace: ws, plan }).then(
    () => assert.fail('the apply must be refused'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof WorkflowFailedError);
  const cause = error.cause?.cause;
  assert.ok(cause instanceof ApplicationFailure, String(cause));
  return cause;
}

describe('plan artifacts and the shared tofu init', () => {
  it('stores the plan JSON with sensitive values redacted; apply, from the saved plan, still uses them', async () => {
    const { ws, plan } = await planned();
    const stored = await getArtifactText(fx.db, plan.planJsonRef);
    assert.ok(!stored.includes(SECRET), 'the secret is not in the stored plan JSON');
    assert.ok(stored.includes(REDACTED), 'it is replaced by the redaction marker');
    assert.equal(plan.summary.add, 1);
    assert.deepEqual(plan.changes?.creates, 1, 'the change counts for the risk model come with the plan');

    const { result } = await fx.run<ApplyOutcome>('applyPlan', { workspace: ws, plan });
    assert.deepEqual(result.sensitiveOutputs, ['token']);
    assert.deepEqual(
      result.resources.map((r) => r.address),
      ['terraform_data.holder'],
    );
    assert.match(await stateText(ws.stateSchema), new RegExp(SECRET), 'tofu applied the real value');
    await fx.run('destroyWorkspace', { workspace: ws });
  });

  it('apply trusts the binding made at plan time, refuses an altered one, and checks an unbound plan itself', async () => {
    const { ws, plan } = await planned();
    const ref = bindingRef(ws, plan);
    const { rows } = await fx.db.query<{ kind: string }>('SELECT kind FROM artifacts WHERE ref = $1', [ref]);
    assert.deepEqual(rows, [{ kind: 'plan-binding' }], 'planWorkspace bound the plan to its hash');

    await fx.db.query('UPDATE artifacts SET content = $2 WHERE ref = $1', [ref, Buffer.from('{"forged":1}')]);
    const altered = await applyFailure(ws, plan);
    assert.equal(altered.type, TERRAFORM_FAILURES.artifactMissing);
    assert.match(altered.message, /does not match its content hash/);

    // A plan made before bindings existed has none: apply reads its hash with `tofu show` and goes ahead.
    await fx.db.query('DELETE FROM artifacts WHERE ref = $1', [ref]);
    const { result } = await fx.run<ApplyOutcome>('applyPlan', { workspace: ws, plan });
    assert.deepEqual(
      result.resources.map((r) => r.address),
      ['terraform_data.holder'],
    );
    await fx.run('destroyWorkspace', { workspace: ws });
  });

  it('runs tofu init once per provider set and host, again only when its directory is gone', async () => {
    // A CLI config of its own gives this test a provider set no other run on the host has initialized.
    const dir = await mkdtemp(path.join(tmpdir(), 'dharma-init-test-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const cliConfig = path.join(dir, 'tofu.rc');
    await copyFile(tofuCliConfigFile(), cliConfig);
    const deps: ActivityDeps = {
      db: fx.db,
      temporal: fx.client,
      logger: createLogger('test'),
      env: { TOFU_CLI_CONFIG: cliConfig },
    };
    const { result: ws } = await fx.run<PreparedWorkspace>('prepareWorkspace', {
      deploymentId: `dep-${randomUUID().slice(0, 8)}`,
      blueprintId: clockStack,
      blueprintVersion: '1.0.0',
      environment: 'dev',
      stack: `init-${randomUUID().slice(0, 8)}`,
    });
    const files = JSON.parse(await getArtifactText(fx.db, ws.configRef)) as Record<string, string>;
    const config = sharedConfig(files, ws.configRef);
    assert.equal(config.schemaName, ws.stateSchema);
    assert.ok(!config.files['main.tf.json']!.includes(ws.stateSchema), 'the schema leaves the files');
    const env = tofuProcessEnv(tofuEnv(deps.env), {
      PG_CONN_STR: stateConnString(deps),
      PG_SCHEMA_NAME: config.schemaName,
    });
    const init = (lines: string[]) =>
      initializedDir(config.terraformBlock, { binary: requireTofu(), env, onLine: (l) => lines.push(l) });

    const [first, second] = [[] as string[], [] as string[]];
    const [a, b] = await Promise.all([init(first), init(second)]);
    assert.deepEqual(a, b);
    assert.ok(a.lockFile, 'time is installed from the mirror: a lock file');
    assert.equal(
      [first, second].filter((lines) => lines.some((l) => /Initializing provider plugins/.test(l))).length,
      1,
      'two callers at once, one tofu init',
    );
    onCleanup(() => rm(path.dirname(a.dataDir), { recursive: true, force: true }));

    const later: string[] = [];
    await init(later);
    assert.deepEqual(later, [], 'initialized before: no tofu run');

    await rm(path.dirname(a.dataDir), { recursive: true, force: true });
    const again: string[] = [];
    assert.deepEqual(await init(again), a);
    assert.ok(
      again.some((l) => /Initializing provider plugins/.test(l)),
      'a removed directory is made again',
    );

    assert.throws(
      () => sharedConfig({ 'main.tf.json': JSON.stringify({ terraform: {} }) }, 'art_x'),
      ArtifactCorrupt,
    );
  });
});
