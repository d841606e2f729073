import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import pg from 'pg';
import type {
  ApplyOutcome,
  CleanupOutcome,
  DestroyOutcome,
  PlanOutcome,
  PreparedWorkspace,
} from '../../activities/terraform/contract.js';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import { terraformFixture } from './terraform-fixture.js';

const fx = await terraformFixture();
const server = new URL(fx.services.databaseUrl);
// Secrets reach tofu as TF_VAR_* in the worker's environment, never as workflow input.
process.env.TF_VAR_pg_password = decodeURIComponent(server.password);

const starter = await readBlueprintFile(starterBlueprintPath('tenant-database'));
const blueprintId = await fx.blueprint({
  ...starter,
  id: `tenant-db-${randomUUID().slice(0, 8)}`,
  name: `tenant-db-${randomUUID().slice(0, 8)}`,
});

async function onServer<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
  const client = new pg.Client({ connectionString: fx.services.databaseUrl });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

describe('the tenant-database starter blueprint through the terraform activities', () => {
  it('creates a real database and roles on the local PostgreSQL, and destroy removes them', async () => {
    const tenant = `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;
    const { result: ws } = await fx.run<PreparedWorkspace>('prepareWorkspace', {
      deploymentId: `dep-${tenant}`,
      blueprintId,
      blueprintVersion: '1.0.0',
      environment: 'dev',
      stack: `tenant-${tenant}`,
      variables: {
        tenant,
        pg_host: server.hostname,
        pg_port: Number(server.port),
        pg_username: server.username,
      },
    });
    const { result: plan } = await fx.run<PlanOutcome>('planWorkspace', { workspace: ws });
    assert.equal(plan.summary.add, 6);

    const { result: applied } = await fx.run<ApplyOutcome>('applyPlan', { workspace: ws, plan });
    assert.equal(applied.outputs.database, `${tenant}_dev`);
    assert.deepEqual(applied.sensitiveOutputs, ['owner_password']);
    const databases = await onServer('SELECT datname FROM pg_database WHERE datname = $1', [`${tenant}_dev`]);
    assert.equal(databases.length, 1, 'the tenant database exists');
    const roles = await onServer<{ rolname: string }>(
      'SELECT rolname FROM pg_roles WHERE rolname LIKE $1 ORDER BY rolname',
      [`${tenant}_dev_%`],
    );
    assert.deepEqual(
      roles.map((r) => r.rolname),
      [`${tenant}_dev_owner`, `${tenant}_dev_reader`],
    );

    const { result: destroyed } = await fx.run<DestroyOutcome>('destroyWorkspace', { workspace: ws });
    assert.equal(destroyed.destroyed.length, 6);
    assert.equal(
      (await onServer('SELECT 1 FROM pg_database WHERE datname = $1', [`${tenant}_dev`])).length,
      0,
      'compensation really removes the database',
    );
    assert.equal(
      (await onServer('SELECT 1 FROM pg_roles WHERE rolname LIKE $1', [`${tenant}_dev_%`])).length,
      0,
    );
    const { result: cleaned } = await fx.run<CleanupOutcome>('cleanupWorkspace', { workspace: ws });
    assert.equal(cleaned.stateDropped, true);
  });
});
