import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import type { DestroyOutcome } from '../../activities/terraform/contract.js';
import { getBlueprint, updateBlueprint } from '../../lib/blueprints/repository.js';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import { TERRAFORM_FAILURES } from '../../lib/tofu/activity-options.js';
import {
  activityResults,
  assertNothingLeft,
  countOnServer,
  failureType,
  tenantDatabaseLeftovers,
} from './nothing-left.js';
import { provisionFixture } from './provision-fixture.js';
import { driftScheduleId, type DriftCheckInput } from '../../workflows/drift/contract.js';

/**
 * The saga's promise, step by step (issue 4): whichever step fails, for a real reason, the run leaves no
 * resource, no lock, no reservation and no workspace behind (an update: nothing but the previous version).
 * The steps that run tofu (validate, plan, apply, verify) are here; the gates (budget, approval,
 * zero-trust, cancellation) are in step-failures-gates.test.ts.
 */
const fx = await provisionFixture();
const unique = () => `t${randomUUID().replaceAll('-', '').slice(0, 10)}`;

const MARKER = {
  provider: 'local' as const,
  region: 'local',
  resources: [{ type: 'terraform_data', name: 'marker', properties: { input: 'hello' } }],
  outputs: { marker: { value: '${terraform_data.marker.output}' } },
};

/** Valid, so it plans; the database does not exist, so PostgreSQL refuses the grant at apply time. */
const grantOnMissingDatabase = (prefix: string, reader: string) => ({
  type: 'dharma_postgresql_grant',
  name: 'connect',
  properties: {
    database: `${prefix}_missing`,
    role: `\${dharma_postgresql_role.${reader}.name}`,
    object_type: 'database',
    privileges: ['CONNECT'],
  },
});

/** A dharma_postgresql_role resource `name`, the role itself named `<prefix>_<name>`. */
const readerRole = (prefix: string, name: string) => ({
  type: 'dharma_postgresql_role',
  name,
  properties: { name: `${prefix}_${name}` },
});

const roleCount = (name: string) => countOnServer(fx, 'SELECT 1 FROM pg_roles WHERE rolname = $1', [name]);
const rolesLike = (prefix: string) =>
  countOnServer(fx, 'SELECT 1 FROM pg_roles WHERE rolname LIKE $1', [`${prefix}\\_%`]);

describe('a provision step that fails leaves nothing behind', () => {
  it('validate: a blueprint version that does not exist fails under the lock, which it then frees', async () => {
    const blueprintId = await fx.blueprint(MARKER);
    const handle = await fx.start({ blueprintId, version: '9.9.9', environment: 'dev', autoApply: true });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: blueprintId,
      environment: 'dev',
      state: 'failed',
    });
    assert.equal(failureType(failure), 'BlueprintNotFound');
    assert.match(failure.message, /9\.9\.9/);
  });

  it('plan: a grant with a privilege its object type does not have is a non-retryable TofuConfigError', async () => {
    const role = unique();
    const blueprintId = await fx.blueprint({
      provider: 'local',
      region: 'local',
      resources: [
        { type: 'dharma_postgresql_role', name: 'reader', properties: { name: `${role}_reader` } },
        {
          type: 'dharma_postgresql_grant',
          name: 'select_on_database',
          // SELECT exists on tables, not on a database: the provider refuses it while tofu validates.
          properties: {
            database: 'postgres',
            role: '${dharma_postgresql_role.reader.name}',
            object_type: 'database',
            privileges: ['SELECT'],
          },
        },
      ],
    });
    const handle = await fx.start({ blueprintId, environment: 'dev', autoApply: true });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: blueprintId,
      environment: 'dev',
      state: 'failed',
      leftovers: async () => ({ roles: await rolesLike(role) }),
    });
    assert.equal(failureType(failure), TERRAFORM_FAILURES.tofuConfig);
    assert.ok(failure instanceof ApplicationFailure && failure.nonRetryable);
    assert.match(failure.message, /Invalid privilege/);
  });

  it('plan: a variable value of the wrong type is refused by tofu before anything is planned', async () => {
    const blueprintId = await fx.blueprint({
      ...MARKER,
      variables: { replicas: { type: 'number', default: 1 } },
      resources: [{ type: 'terraform_data', name: 'marker', properties: { input: '${var.replicas}' } }],
    });
    const handle = await fx.start({
      blueprintId,
      environment: 'dev',
      autoApply: true,
      variables: { replicas: 'many' },
    });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: blueprintId,
      environment: 'dev',
      state: 'failed',
    });
    assert.equal(failureType(failure), TERRAFORM_FAILURES.tofuConfig);
    assert.match(failure.message, /replicas/);
  });

  it('apply: a grant on a database nobody creates fails mid-apply; the role created before it is dropped', async () => {
    const role = unique();
    const blueprintId = await fx.blueprint({
      provider: 'local',
      region: 'local',
      resources: [
        { type: 'dharma_postgresql_role', name: 'reader', properties: { name: `${role}_reader` } },
        grantOnMissingDatabase(role, 'reader'),
      ],
      outputs: { reader: { value: '${dharma_postgresql_role.reader.name}' } },
    });
    const handle = await fx.start({ blueprintId, environment: 'dev', autoApply: true });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: blueprintId,
      environment: 'dev',
      state: 'rolled_back',
      leftovers: async () => ({ roles: await rolesLike(role) }),
    });
    assert.equal(failureType(failure), TERRAFORM_FAILURES.applyFailed);
    assert.match(failure.message, /does not exist/);
    assert.deepEqual(
      (await activityResults(handle, 'destroyWorkspace')).map((r) => (r as DestroyOutcome).destroyed),
      [['dharma_postgresql_role.reader']],
      'the compensation destroyed the role the failed apply had created',
    );
  });

  it('apply of an update: the previous version is re-applied, the new role dropped, the old one kept, its drift check put back', async () => {
    const role = unique();
    const reader = (name: string) => readerRole(role, name);
    const v1 = {
      provider: 'local' as const,
      region: 'local',
      resources: [reader('one')],
      drift: { interval: '6h', reconcile: false },
    };
    const blueprintId = await fx.blueprint(v1);
    const first = await fx.start({ blueprintId, environment: 'dev', autoApply: true });
    assert.equal((await first.result()).status, 'completed');
    await updateBlueprint(
      fx.db,
      blueprintId,
      {
        ...v1,
        name: (await getBlueprint(fx.db, blueprintId)).blueprint.name,
        resources: [reader('one'), reader('two'), grantOnMissingDatabase(role, 'two')],
        drift: { interval: '2h', reconcile: true },
      },
      'alice',
    );
    const handle = await fx.start({ blueprintId, environment: 'dev', autoApply: true });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: blueprintId,
      environment: 'dev',
      state: 'rolled_back',
      stateResources: 1,
      leftovers: async () => ({ roles: await roleCount(`${role}_two`) }),
    });
    assert.equal(failureType(failure), TERRAFORM_FAILURES.applyFailed);
    assert.equal(await roleCount(`${role}_one`), 1, 'version 1.0.0 is what the stack has again');
    const { spec, action } = await fx.client.schedule
      .getHandle(driftScheduleId(blueprintId, 'dev'))
      .describe();
    assert.equal(spec.intervals?.[0]?.every, 6 * 3_600_000, "version 1.0.0's drift interval");
    assert.equal(
      action.type === 'startWorkflow' && (action.args?.[0] as DriftCheckInput).reconcile,
      false,
      'and its reconcile setting, though the failed update had set the Schedule to its own',
    );
  });

  it('apply of an update from another blueprint: the blueprint the stack was deployed from is re-applied', async () => {
    const role = unique();
    const reader = (name: string) => readerRole(role, name);
    const stack = `shared-${role}`;
    const before = await fx.blueprint({ provider: 'local', region: 'local', resources: [reader('one')] });
    const first = await fx.start({ blueprintId: before, stack, environment: 'dev', autoApply: true });
    assert.equal((await first.result()).status, 'completed');
    // Another blueprint, also at 1.0.0, takes the stack over and fails at apply time.
    const after = await fx.blueprint({
      provider: 'local',
      region: 'local',
      resources: [reader('two'), grantOnMissingDatabase(role, 'two')],
    });
    const handle = await fx.start({ blueprintId: after, stack, environment: 'dev', autoApply: true });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack,
      environment: 'dev',
      state: 'rolled_back',
      stateResources: 1,
      leftovers: async () => ({ roles: await roleCount(`${role}_two`) }),
    });
    assert.equal(failureType(failure), TERRAFORM_FAILURES.applyFailed);
    assert.equal(await roleCount(`${role}_one`), 1, `${before}@1.0.0 is what the stack has again`);
  });

  it('verify: a sql health check that errors in the new tenant database drops the database and its roles', async () => {
    const starter = await readBlueprintFile(starterBlueprintPath('tenant-database'));
    const blueprintId = await fx.blueprint({
      ...starter,
      name: `tenant-db-${unique()}`,
      healthChecks: [
        { name: 'orders', kind: 'sql', database: '${output.database}', query: 'SELECT count(*) FROM orders' },
      ],
    });
    const tenant = unique();
    const handle = await fx.start({
      blueprintId,
      environment: 'dev',
      autoApply: true,
      variables: { tenant },
    });
    const failure = await assertNothingLeft(fx, {
      handle,
      stack: blueprintId,
      environment: 'dev',
      state: 'rolled_back',
      leftovers: () => tenantDatabaseLeftovers(fx, tenant, 'dev'),
    });
    assert.match(failure.message, /orders: query on .* failed: relation "orders" does not exist/);
  });
});
