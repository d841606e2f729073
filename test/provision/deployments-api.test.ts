import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import pg from 'pg';
import { buildApp } from '../../api/app.js';
import { loadOrCreateDevKey, mintToken } from '../../lib/auth/dev-key.js';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import { listAudit } from '../../lib/db/audit.js';
import { lockStateQuery, lockWorkflowId } from '../../workflows/lib/lock-contract.js';
import { bearer, until } from '../api/api-fixture.js';
import { onCleanup } from '../harness/cleanup.js';
import { provisionFixture } from './provision-fixture.js';

/** The deployments API over real workers of every pool: real tofu, the harness PostgreSQL as target. */
const fx = await provisionFixture();
const server = new URL(fx.services.databaseUrl);
// Secrets reach tofu as TF_VAR_* in the (in-process) terraform worker's environment, never as input.
process.env.TF_VAR_pg_password = decodeURIComponent(server.password);

const home = await mkdtemp(path.join(tmpdir(), 'dharma-deployments-'));
onCleanup(() => rm(home, { recursive: true, force: true }));
const devKey = await loadOrCreateDevKey(home);
const app = await buildApp({
  temporal: fx.client,
  db: fx.db,
  auth: { issuer: 'dharma', audience: 'dharma-api', publicKeys: [devKey.publicJwk] },
  logger: false,
  env: {},
  taskQueuePrefix: fx.prefix,
  uiBaseUrl: 'http://ui.test',
});
onCleanup(() => app.close());
const token = await mintToken({
  subject: 'alice',
  roles: ['operator'],
  ttlSeconds: 3600,
  key: devKey,
  issuer: 'dharma',
  audience: 'dharma-api',
});
const auth = bearer(token);

interface Started {
  deploymentId: string;
  runId: string;
  version: string;
  links: { self: string };
}

interface DeploymentBody {
  state: string;
  version: string;
  planHash?: string;
  plan?: { add: number; change: number; destroy: number; resources: { address: string; action: string }[] };
  policy?: { warnings: unknown[] };
  cost?: { monthlyDelta: number; currency: string; priceTable: { version: string }; overBudget: boolean };
  risk?: { score: number; level: string };
  outputs?: Record<string, unknown>;
  failure?: string;
}

async function createBlueprint(body: Record<string, unknown>): Promise<string> {
  const res = await app.inject({ method: 'POST', url: '/v1/blueprints', headers: auth, payload: body });
  assert.equal(res.statusCode, 201, res.body);
  return res.json<{ id: string }>().id;
}

async function deploy(body: Record<string, unknown>, key?: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/deployments',
    headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) },
    payload: body,
  });
}

/** Waits for the run to close, then answers what the API says about it. */
async function settled(deploymentId: string): Promise<DeploymentBody> {
  await fx.client.workflow
    .getHandle(deploymentId)
    .result()
    .catch(() => undefined);
  const res = await app.inject({
    method: 'GET',
    url: `/v1/deployments/${encodeURIComponent(deploymentId)}`,
    headers: auth,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json<DeploymentBody>();
}

async function onServer(sql: string, params: unknown[]): Promise<unknown[]> {
  const client = new pg.Client({ connectionString: fx.services.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows;
  } finally {
    await client.end();
  }
}

const tenantObjects = async (tenant: string) => ({
  databases: (await onServer('SELECT datname FROM pg_database WHERE datname = $1', [`${tenant}_dev`])).length,
  roles: (await onServer('SELECT rolname FROM pg_roles WHERE rolname LIKE $1', [`${tenant}\\_dev\\_%`]))
    .length,
});

const starter = await readBlueprintFile(starterBlueprintPath('tenant-database'));
const target = { pg_host: server.hostname, pg_port: Number(server.port), pg_username: server.username };
const unique = () => randomUUID().replaceAll('-', '').slice(0, 10);

describe('POST /v1/deployments with the tenant-database starter', () => {
  it('creates the database and its roles; GET answers state, plan, policy, cost, risk and outputs', async () => {
    const blueprintId = await createBlueprint({ ...starter, name: `tenant-db-${unique()}` });
    const tenant = `t${unique()}`;
    const request = { blueprintId, environment: 'dev', autoApply: true, variables: { tenant, ...target } };
    const key = `deploy-${tenant}`;
    const res = await deploy(request, key);
    assert.equal(res.statusCode, 202, res.body);
    const started = res.json<Started>();
    assert.equal(res.headers.location, started.links.self);
    assert.equal(started.version, '1.0.0');

    // A retry with the same key is answered from the first response: no second deployment.
    const retry = await deploy(request, key);
    assert.equal(retry.statusCode, 202);
    assert.equal(retry.headers['idempotent-replayed'], 'true');
    assert.equal(retry.json<Started>().deploymentId, started.deploymentId);
    assert.equal((await deploy({ ...request, environment: 'staging' }, key)).statusCode, 409);
    const unknown = await deploy({ ...request, blueprintId: `missing-${unique()}` });
    assert.equal(unknown.statusCode, 404, unknown.body);
    assert.equal(unknown.json<{ error: string }>().error, 'blueprint_not_found');

    const deployment = await settled(started.deploymentId);
    assert.equal(deployment.state, 'completed', deployment.failure);
    assert.deepEqual(await tenantObjects(tenant), { databases: 1, roles: 2 });
    const owner = await onServer(
      'SELECT datname FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba WHERE r.rolname = $1',
      [`${tenant}_dev_owner`],
    );
    assert.deepEqual(owner, [{ datname: `${tenant}_dev` }], 'the owner role owns the database');

    assert.equal(deployment.plan?.add, 6);
    assert.ok(deployment.plan?.resources.some((r) => r.address === 'dharma_postgresql_database.db'));
    assert.deepEqual(deployment.policy, { warnings: [] });
    assert.equal(deployment.cost?.monthlyDelta, 0, 'Dharma provider resources are $0');
    assert.equal(deployment.cost?.currency, 'USD');
    assert.match(String(deployment.cost?.priceTable.version), /^\d{4}-\d{2}-\d{2}$/);
    assert.equal(deployment.cost?.overBudget, false);
    assert.ok(deployment.risk && deployment.risk.score >= 0 && deployment.risk.score <= 1);
    assert.match(deployment.risk.level, /^(low|medium|high)$/);
    assert.deepEqual(deployment.outputs, {
      database: `${tenant}_dev`,
      owner_role: `${tenant}_dev_owner`,
      reader_role: `${tenant}_dev_reader`,
    });

    const plan = await app.inject({
      method: 'GET',
      url: `/v1/deployments/${encodeURIComponent(started.deploymentId)}/plan`,
      headers: auth,
    });
    assert.equal(plan.statusCode, 200, plan.body);
    const body = plan.json<{ planHash: string; summary: string[]; plan: { resource_changes: unknown[] } }>();
    assert.equal(body.planHash, deployment.planHash);
    assert.equal(body.summary[0], 'Plan: 6 to add, 0 to change, 0 to destroy, 0 to replace.');
    assert.ok(body.summary.includes('  + dharma_postgresql_database.db (create)'));
    assert.equal(body.plan.resource_changes.length, 6);
    // The server password reaches tofu as TF_VAR_pg_password, a variable the blueprint declares sensitive
    // (the harness server's user and password are both "dharma", so the value itself cannot be searched).
    const variables = (body.plan as { variables?: Record<string, { value: unknown }> }).variables;
    assert.equal(variables?.pg_password?.value, '(sensitive value)');
  });

  it('a verify that cannot pass: compensation drops the database and roles, frees the lock and the budget', async () => {
    const blueprintId = await createBlueprint({
      ...starter,
      name: `tenant-db-${unique()}`,
      // Runs in the tenant database, which exists once applied; the query returns no row, ever.
      healthChecks: [
        { name: 'never', kind: 'sql', database: '${output.database}', query: 'SELECT 1 WHERE false' },
      ],
    });
    const tenant = `t${unique()}`;
    const res = await deploy({
      blueprintId,
      environment: 'dev',
      autoApply: true,
      variables: { tenant, ...target },
    });
    assert.equal(res.statusCode, 202, res.body);
    const { deploymentId } = res.json<Started>();

    const deployment = await settled(deploymentId);
    assert.equal(deployment.state, 'rolled_back');
    assert.match(String(deployment.failure), /never: query on .* returned no rows/);
    assert.deepEqual(await tenantObjects(tenant), { databases: 0, roles: 0 }, 'nothing is left behind');

    const lock = await fx.client.workflow
      .getHandle(lockWorkflowId(`${blueprintId}:dev`))
      .query(lockStateQuery);
    assert.equal(lock.holder, undefined, 'no one holds the stack lock');
    assert.deepEqual(lock.queue, []);
    const reservation = await fx.db.query('SELECT state FROM budget_reservations WHERE id = $1', [
      deploymentId,
    ]);
    assert.equal(reservation.rows[0]?.state, 'released');
  });
});

const MARKER = (input: string) => ({
  provider: 'local',
  region: 'local',
  resources: [{ type: 'terraform_data', name: 'marker', properties: { input } }],
  outputs: { marker: { value: '${terraform_data.marker.output}' } },
});

describe('POST /v1/deployments/{id}/rollback', () => {
  it('starts a provision of the version the stack had before, with the reason in the audit log and event', async () => {
    const name = `marker-${unique()}`;
    const blueprintId = await createBlueprint({ ...MARKER('one'), name });
    const first = (await deploy({ blueprintId, environment: 'dev', autoApply: true })).json<Started>();
    assert.equal((await settled(first.deploymentId)).state, 'completed');
    const rollbackOf = (id: string, payload?: unknown, key?: string) =>
      app.inject({
        method: 'POST',
        url: `/v1/deployments/${encodeURIComponent(id)}/rollback`,
        headers: { ...auth, ...(key ? { 'idempotency-key': key } : {}) },
        ...(payload !== undefined ? { payload: payload as Record<string, unknown> } : {}),
      });
    const nothingBefore = await rollbackOf(first.deploymentId);
    assert.equal(nothingBefore.statusCode, 409, 'a first deployment has nothing to roll back to');
    assert.equal(nothingBefore.json<{ error: string }>().error, 'no_previous_deployment');

    const saved = await app.inject({
      method: 'PUT',
      url: `/v1/blueprints/${blueprintId}`,
      headers: auth,
      payload: { ...MARKER('two'), name },
    });
    assert.equal(saved.statusCode, 200, saved.body);
    const second = (await deploy({ blueprintId, environment: 'dev', autoApply: true })).json<Started>();
    assert.equal(second.version, '1.1.0');
    const deployed = await settled(second.deploymentId);
    assert.equal(deployed.outputs?.marker, 'two');

    const reason = 'marker two breaks the consumers';
    const res = await rollbackOf(second.deploymentId, { reason }, `rollback-${name}`);
    assert.equal(res.statusCode, 202, res.body);
    const rollback = res.json<Started>();
    assert.equal(rollback.version, '1.0.0');
    assert.notEqual(rollback.deploymentId, second.deploymentId);
    const again = await rollbackOf(second.deploymentId, { reason }, `rollback-${name}`);
    assert.equal(again.json<Started>().deploymentId, rollback.deploymentId, 'the key makes the retry safe');
    assert.equal((await rollbackOf(second.deploymentId, { reason: 1 })).statusCode, 400);

    // A rollback asks for no auto-apply: it waits for an approver like any change a person did not review.
    const pending = await until(
      async () =>
        (
          await app.inject({
            method: 'GET',
            url: `/v1/deployments/${encodeURIComponent(rollback.deploymentId)}`,
            headers: auth,
          })
        ).json<{ approval?: { state: string; changeHash?: string } }>().approval,
      (approval) => approval?.state === 'pending',
      120_000,
    );
    const approved = await app.inject({
      method: 'POST',
      url: `/v1/runs/${encodeURIComponent(rollback.deploymentId)}/approvals`,
      headers: bearer(
        await mintToken({
          subject: 'bob',
          roles: ['approver'],
          ttlSeconds: 600,
          key: devKey,
          issuer: 'dharma',
          audience: 'dharma-api',
        }),
      ),
      payload: { decision: 'approve', changeHash: pending?.changeHash, reason: 'rollback agreed' },
    });
    assert.equal(approved.statusCode, 200, approved.body);
    const rolledBack = await settled(rollback.deploymentId);
    assert.equal(rolledBack.state, 'completed');
    assert.equal(rolledBack.version, '1.0.0');
    assert.equal(rolledBack.outputs?.marker, 'one', 'the infrastructure is back at version 1.0.0');

    const { items } = await listAudit(fx.db, { action: 'deployment.rollback', limit: 10 });
    const entry = items.find((i) => i.workflowId === rollback.deploymentId);
    assert.equal(entry?.actor, 'alice');
    assert.equal(entry?.reason, reason);
    assert.deepEqual(entry?.details, {
      from: second.deploymentId,
      fromVersion: '1.1.0',
      toVersion: '1.0.0',
    });
    const event = await fx.db.query<{ data: { reason: unknown } }>(
      `SELECT data FROM events_outbox WHERE event_type = 'DeploymentStarted' AND aggregate_id = $1`,
      [rollback.deploymentId],
    );
    assert.deepEqual(event.rows[0]?.data.reason, {
      kind: 'rollback',
      from: second.deploymentId,
      note: reason,
    });
  });
});
