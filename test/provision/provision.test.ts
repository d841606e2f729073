import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { getDeployment } from '../../lib/deployments/repository.js';
import { stateSchemaName } from '../../lib/iac/synthesize.js';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import { deploymentQuery, progressQuery } from '../../workflows/provision/contract.js';
import { provisionFixture } from './provision-fixture.js';

const fx = await provisionFixture();

/** A stack of built-in and mirrored resources only: needs no network and no cloud. */
const LOCAL_RESOURCES = {
  provider: 'local' as const,
  region: 'local',
  resources: [
    { type: 'terraform_data', name: 'marker', properties: { input: 'hello' } },
    {
      type: 'time_static',
      name: 'born',
      properties: { triggers: { marker: '${terraform_data.marker.id}' } },
    },
  ],
  outputs: {
    marker: { value: '${terraform_data.marker.output}' },
    born: { value: '${time_static.born.rfc3339}' },
  },
};

function rootCause(error: unknown): ApplicationFailure | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure) return current;
    current = current.cause;
  }
  return undefined;
}

async function events(workflowId: string): Promise<string[]> {
  const { rows } = await fx.db.query<{ event_type: string }>(
    `SELECT event_type FROM events_outbox WHERE metadata->>'correlationId' = $1 ORDER BY timestamp`,
    [workflowId],
  );
  return rows.map((r) => r.event_type);
}

describe('provision', () => {
  it('deploys a local blueprint outside production without approval, registers its topology and events', async () => {
    const blueprintId = await fx.blueprint(LOCAL_RESOURCES);
    const handle = await fx.start({ blueprintId, environment: 'dev', autoApply: true });
    const result = await handle.result();

    assert.equal(result.status, 'completed');
    assert.equal(result.version, '1.0.0');
    assert.equal(result.outputs.marker, 'hello');
    assert.match(result.planHash, /\S+/);
    const row = await getDeployment(fx.db, handle.workflowId);
    assert.equal(row?.state, 'completed');
    assert.equal(row?.planHash, result.planHash);
    assert.deepEqual(row?.outputs, result.outputs);
    assert.equal((await handle.query(progressQuery)).state, 'completed');

    const topology = await createPostgresTopologyStore(fx.db).stack(blueprintId, 'dev');
    assert.deepEqual(
      topology.nodes.map((n) => n.address),
      ['terraform_data.marker', 'time_static.born'],
    );
    assert.deepEqual(topology.edges, [{ from: 'time_static.born', to: 'terraform_data.marker' }]);
    const reservation = await fx.db.query('SELECT state FROM budget_reservations WHERE id = $1', [
      handle.workflowId,
    ]);
    assert.equal(reservation.rows[0]?.state, 'committed');
    assert.deepEqual(await events(handle.workflowId), [
      'DeploymentStarted',
      'GuardrailsValidated',
      'CostEstimated',
      'DeploymentCompleted',
    ]);
    const schedule = await fx.client.schedule.getHandle(`drift-${blueprintId}-dev`).describe();
    assert.equal(schedule.policies.overlap, 'SKIP');
  });

  it('destroys what it created and releases lock and reservation when verify fails after apply', async () => {
    const blueprintId = await fx.blueprint({
      ...LOCAL_RESOURCES,
      // Port 1 on localhost refuses connections: the check cannot pass.
      healthChecks: [{ name: 'unreachable', kind: 'tcp', host: '127.0.0.1', port: 1 }],
    });
    const handle = await fx.start({ blueprintId, environment: 'dev', autoApply: true });
    const error = await handle.result().then(
      () => assert.fail('the deployment must fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof WorkflowFailedError);
    assert.match(String(rootCause(error)?.message), /TCP connect to 127\.0\.0\.1:1 failed/);

    const view = await handle.query(deploymentQuery);
    assert.equal(view.state, 'rolled_back');
    const { rows } = await fx.db.query(
      `SELECT count(*)::int AS n FROM information_schema.schemata WHERE schema_name = $1`,
      [stateSchemaName(blueprintId, 'dev')],
    );
    assert.equal(rows[0]?.n, 0, 'the state schema was dropped: nothing is left in the state');
    const reservation = await fx.db.query('SELECT state FROM budget_reservations WHERE id = $1', [
      handle.workflowId,
    ]);
    assert.equal(reservation.rows[0]?.state, 'released');
    assert.equal((await createPostgresTopologyStore(fx.db).stack(blueprintId, 'dev')).nodes.length, 0);
    assert.equal((await getDeployment(fx.db, handle.workflowId))?.state, 'rolled_back');
    assert.deepEqual((await events(handle.workflowId)).at(-1), 'DeploymentRolledBack');

    // The lock is free: the next deployment of the stack goes through at once.
    const next = await fx.start({
      blueprintId: await fx.blueprint(LOCAL_RESOURCES),
      environment: 'dev',
      autoApply: true,
    });
    assert.equal((await next.result()).status, 'completed');
  });
});
