import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import type { ApplyOutcome, PlanOutcome, PreparedWorkspace } from '../../activities/terraform/contract.js';
import { artifactRef, getArtifactText } from '../../lib/artifacts/store.js';
import { REDACTED } from '../../lib/deployments/plan-redact.js';
import { TERRAFORM_FAILURES } from '../../lib/tofu/activity-options.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import { terraformFixture } from './terraform-fixture.js';

/**
 * What the terraform pool keeps between plan and apply (issue 4): the plan JSON stored without secrets,
 * and the plan bound to its hash at plan time (one `tofu init` per provider set: shared-init.test.ts).
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

async function planned(): Promise<{ ws: PreparedWorkspace; plan: PlanOutcome }> {
  const ws = await fx.prepare(secretStack);
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
});
