import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { RollbackStackInput } from '../../activities/control/stack-rollback.js';
import { updateBlueprint } from '../../lib/blueprints/repository.js';
import { listAudit } from '../../lib/db/audit.js';
import { getDeployment } from '../../lib/deployments/repository.js';
import { stateSchemaName } from '../../lib/iac/synthesize.js';
import { taskQueueFor } from '../../lib/pools.js';
import { startTestWorker } from '../harness/temporal.js';
import { provisionFixture } from '../provision/provision-fixture.js';
import { rollback } from './fixtures/rollback-workflow.js';
import { activityFailureOf } from '../harness/failures.js';

/** Real workers of every pool (rollbackStack is registered on orchestration), real tofu, real PostgreSQL. */
const fx = await provisionFixture();
const orchestration = taskQueueFor('orchestration', fx.prefix);
const playbookQueue = `${fx.prefix}-playbook`;
await startTestWorker(fx.services, {
  taskQueue: playbookQueue,
  workflows: false,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/rollback-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }),
});

const MARKER = (input: string) => ({
  provider: 'local' as const,
  region: 'local',
  resources: [{ type: 'terraform_data', name: 'marker', properties: { input } }],
  outputs: { marker: { value: '${terraform_data.marker.output}' } },
});

const run = (input: RollbackStackInput, workflowId = `playbook-${randomUUID()}`) =>
  fx.client.workflow.execute(rollback, {
    taskQueue: playbookQueue,
    workflowId,
    args: [orchestration, input],
  });

async function deploy(blueprintId: string, environment: string) {
  const handle = await fx.start({ blueprintId, environment, autoApply: true });
  return handle.result();
}

/** The `marker` output in the stack's tofu state (pg backend): what is really deployed. */
async function deployedMarker(stack: string, environment: string): Promise<unknown> {
  const { rows } = await fx.db.query<{ data: string }>(
    `SELECT data FROM "${stateSchemaName(stack, environment)}".states`,
  );
  assert.equal(rows.length, 1);
  return (JSON.parse(rows[0]!.data) as { outputs: { marker: { value: unknown } } }).outputs.marker.value;
}

describe('rollbackStack (playbook action stack.rollback)', () => {
  it('refuses without a previous version or an environment, then rolls the stack back through the saga', async () => {
    const stack = await fx.blueprint(MARKER('one'));
    // One after the other: tofu's pg backend races creating its shared sequence on a fresh database.
    await deploy(stack, 'dev');
    await deploy(stack, 'staging');

    const ambiguous = await activityFailureOf(run({ stack }));
    assert.equal(ambiguous.type, 'InvalidRemediationInput');
    assert.match(
      ambiguous.message,
      new RegExp(
        `rollbackStack: environment: expected one of dev, staging \\(stack ${stack} is deployed to several\\)`,
      ),
    );
    const first = await activityFailureOf(run({ stack, environment: 'dev' }));
    assert.equal(first.type, 'RemediationRefused');
    assert.equal(first.nonRetryable, true);
    assert.match(
      first.message,
      new RegExp(`no previous version to roll back to: stack ${stack} in dev has no deployment before`),
    );
    const unknown = await activityFailureOf(run({ stack: 'no-such-stack' }));
    assert.match(unknown.message, /stack no-such-stack has no completed deployment to roll back/);

    await updateBlueprint(fx.db, stack, { ...MARKER('two'), name: stack }, 'alice');
    const second = await deploy(stack, 'dev');
    assert.equal(second.version, '1.1.0');
    assert.equal(await deployedMarker(stack, 'dev'), 'two');

    const stepId = `playbook-${randomUUID()}`;
    const result = await run({ stack, environment: 'dev' }, stepId);
    assert.equal(result.rolledBackTo, '1.0.0');
    assert.equal(result.state, 'completed');
    assert.deepEqual([result.stack, result.environment], [stack, 'dev']);
    assert.notEqual(result.deploymentId, second.deploymentId);
    assert.equal(await deployedMarker(stack, 'dev'), 'one', 'the infrastructure is back at version 1.0.0');
    assert.equal(await deployedMarker(stack, 'staging'), 'one', 'another environment is left alone');

    const row = await getDeployment(fx.db, result.deploymentId);
    assert.equal(row?.state, 'completed');
    assert.equal(row?.version, '1.0.0');
    assert.equal(row?.runId, result.runId);
    assert.deepEqual(row?.outputs, { marker: 'one' });
    const { items } = await listAudit(fx.db, { action: 'deployment.rollback', limit: 10 });
    assert.deepEqual(
      items.filter((i) => i.workflowId === result.deploymentId).map((i) => i.details),
      [{ from: second.deploymentId, fromVersion: '1.1.0', toVersion: '1.0.0' }],
    );

    // The same playbook step again (a retry, a reset) finds the rollback run it started, starts none.
    const again = await run({ stack, environment: 'dev' }, stepId);
    assert.deepEqual(again, result);
    const { rows } = await fx.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM deployments WHERE stack = $1 AND environment = 'dev'`,
      [stack],
    );
    assert.equal(rows[0]?.n, 3, 'two deployments and one rollback');
  });
});
