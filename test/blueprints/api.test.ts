import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { starterBlueprintPath } from '../../lib/blueprints/format.js';
import { getBlueprint } from '../../lib/blueprints/repository.js';
import { apiFixture, bearer } from '../api/api-fixture.js';

const f = await apiFixture();
const operator = await f.token('olga', ['operator']);
const viewer = await f.token('vera', ['viewer']);

let serial = 0;
function blueprint(name = `bp-${Date.now().toString(36)}-${serial++}`) {
  return {
    name,
    provider: 'local',
    region: 'local',
    metadata: { description: 'a random string and a marker', tags: ['test'] },
    resources: [
      { type: 'dharma_random_string', name: 'pet', properties: { length: 8 } },
      {
        type: 'terraform_data',
        name: 'marker',
        properties: { triggers_replace: { pet: '${dharma_random_string.pet.id}' } },
      },
    ],
    outputs: { pet: { value: '${dharma_random_string.pet.id}' } },
  };
}

const call = (method: 'GET' | 'POST' | 'PUT' | 'DELETE', url: string, payload?: unknown, token = operator) =>
  f.app.inject({
    method,
    url,
    headers: bearer(token),
    ...(payload !== undefined ? { payload: payload as object } : {}),
  });

async function create(doc: object = blueprint()) {
  const res = await call('POST', '/v1/blueprints', doc);
  assert.equal(res.statusCode, 201, res.body);
  return res.json();
}

describe('POST /v1/blueprints', () => {
  it('creates version 1.0.0 with server-managed id and metadata', async () => {
    const doc = blueprint('Tenant_DB-1');
    const res = await call('POST', '/v1/blueprints', doc);
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.id, 'tenant_db-1');
    assert.equal(body.version, '1.0.0');
    assert.equal(body.metadata.createdBy, 'olga');
    assert.deepEqual(body.metadata.tags, ['test']);
    assert.deepEqual(body.resources[0].dependsOn, []);
    assert.equal(res.headers.location, '/v1/blueprints/tenant_db-1?version=1.0.0');
    const again = await call('POST', '/v1/blueprints', doc);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error, 'blueprint_conflict');
  });

  it('answers 400 naming the field of a semantic problem', async () => {
    const doc = blueprint();
    doc.resources.push({ type: 'time_static', name: 'id', properties: {}, dependsOn: ['db'] } as never);
    const res = await call('POST', '/v1/blueprints', doc);
    assert.equal(res.statusCode, 400);
    const [problem] = res.json().details;
    assert.deepEqual(problem, {
      in: 'body',
      field: '/resources/2/dependsOn/0',
      path: 'resources[2].dependsOn[0]',
      message: 'unknown resource "db"',
    });
    const schema = await call('POST', '/v1/blueprints', { ...blueprint(), provider: 'oracle' });
    assert.equal(schema.statusCode, 400);
    assert.equal(schema.json().details[0].field, '/provider');
  });

  it('is for operators: a viewer gets 403, no token 401', async () => {
    assert.equal((await call('POST', '/v1/blueprints', blueprint(), viewer)).statusCode, 403);
    const anonymous = await f.app.inject({ method: 'POST', url: '/v1/blueprints', payload: blueprint() });
    assert.equal(anonymous.statusCode, 401);
  });

  it('replays the first response to a retry with the same Idempotency-Key', async () => {
    const doc = blueprint();
    const send = () =>
      f.app.inject({
        method: 'POST',
        url: '/v1/blueprints',
        headers: { ...bearer(operator), 'idempotency-key': `k-${doc.name}` },
        payload: doc,
      });
    const first = await send();
    const second = await send();
    assert.equal(first.statusCode, 201);
    assert.equal(second.statusCode, 201);
    assert.equal(second.headers['idempotent-replayed'], 'true');
    assert.deepEqual(second.json(), first.json());
  });
});

describe('versions', () => {
  it('PUT makes 1.1.0, keeps 1.0.0 readable and unchanged, and refuses a lower or equal version', async () => {
    const v1 = await create();
    const edited = { ...blueprint(v1.name), region: 'laptop' };
    const put = await call('PUT', `/v1/blueprints/${v1.id}`, edited);
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json().version, '1.1.0');
    assert.equal(put.json().metadata.createdAt, v1.metadata.createdAt);

    const latest = (await call('GET', `/v1/blueprints/${v1.id}`)).json();
    assert.equal(latest.version, '1.1.0');
    assert.equal(latest.region, 'laptop');
    const old = await call('GET', `/v1/blueprints/${v1.id}?version=1.0.0`, undefined, viewer);
    assert.equal(old.statusCode, 200);
    assert.deepEqual(old.json(), v1);

    for (const version of ['1.0.5', '1.1.0']) {
      const refused = await call('PUT', `/v1/blueprints/${v1.id}`, { ...edited, version, region: 'x' });
      assert.equal(refused.statusCode, 409, version);
      assert.equal(refused.json().details.latest, '1.1.0');
    }
    const explicit = await call('PUT', `/v1/blueprints/${v1.id}`, {
      ...edited,
      version: '2.0.0',
      region: 'x',
    });
    assert.equal(explicit.json().version, '2.0.0');

    const unchanged = await call('PUT', `/v1/blueprints/${v1.id}`, { ...edited, region: 'x' });
    assert.equal(unchanged.json().version, '2.0.0', 'the same content saves no new version');

    const versions = (await call('GET', `/v1/blueprints/${v1.id}/versions`, undefined, viewer)).json();
    assert.deepEqual(
      versions.items.map((v: { version: string }) => v.version),
      ['1.0.0', '1.1.0', '2.0.0'],
    );
    assert.equal((await call('GET', `/v1/blueprints/${v1.id}?version=3.0.0`)).statusCode, 404);
  });

  it('DELETE hides the blueprint but keeps its versions for deployments', async () => {
    const bp = await create();
    assert.equal((await call('DELETE', `/v1/blueprints/${bp.id}`)).statusCode, 204);
    assert.equal((await call('GET', `/v1/blueprints/${bp.id}`)).statusCode, 404);
    const list = (await call('GET', '/v1/blueprints?limit=200')).json();
    assert.ok(!list.items.some((item: { id: string }) => item.id === bp.id));
    const kept = await getBlueprint(f.db, bp.id, { version: '1.0.0', includeDeleted: true });
    assert.deepEqual(kept.blueprint, bp);
    assert.equal((await call('DELETE', `/v1/blueprints/${bp.id}`)).statusCode, 404);
  });

  it('clones a version into a new blueprint at 1.0.0', async () => {
    const source = await create();
    await call('PUT', `/v1/blueprints/${source.id}`, { ...blueprint(source.name), region: 'moved' });
    const res = await call('POST', `/v1/blueprints/${source.id}/clone`, {
      name: `${source.name}-copy`,
      version: '1.0.0',
    });
    assert.equal(res.statusCode, 201, res.body);
    const clone = res.json();
    assert.equal(clone.id, `${source.id}-copy`);
    assert.equal(clone.version, '1.0.0');
    assert.equal(clone.region, 'local', 'copied from the version asked for');
    assert.deepEqual(clone.resources, source.resources);
  });

  it('lists blueprints page by page', async () => {
    for (let i = 0; i < 3; i++) await create();
    const first = (await call('GET', '/v1/blueprints?limit=2', undefined, viewer)).json();
    assert.equal(first.items.length, 2);
    assert.ok(first.nextCursor);
    const second = (await call('GET', `/v1/blueprints?limit=2&cursor=${first.nextCursor}`)).json();
    assert.ok(second.items.every((item: { id: string }) => item.id > first.nextCursor));
    assert.equal(first.items[0].provider, 'local');
  });
});

describe('import and export', () => {
  it('imports a starter YAML file, exports it as JSON, re-imports that: the same blueprint', async () => {
    const yaml = await readFile(starterBlueprintPath('tenant-database'), 'utf8');
    const imported = await f.app.inject({
      method: 'POST',
      url: '/v1/blueprints/import',
      headers: { ...bearer(operator), 'content-type': 'application/yaml' },
      payload: yaml.replace('name: tenant-database', 'name: tenant-database-import'),
    });
    assert.equal(imported.statusCode, 201, imported.body);
    const bp = imported.json();
    assert.equal(bp.variables.pg_password.sensitive, true);

    const json = await call('GET', `/v1/blueprints/${bp.id}/export?format=json`, undefined, viewer);
    assert.equal(json.statusCode, 200);
    assert.match(String(json.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(json.body), bp);

    const yamlExport = await call('GET', `/v1/blueprints/${bp.id}/export`);
    assert.match(String(yamlExport.headers['content-type']), /application\/yaml/);
    assert.deepEqual(parseYaml(yamlExport.body), bp);

    const reimported = await f.app.inject({
      method: 'POST',
      url: '/v1/blueprints/import',
      headers: { ...bearer(operator), 'content-type': 'application/json' },
      payload: json.body.replace(/"id": "[^"]+"/, '"id": "tenant-copy"'),
    });
    assert.equal(reimported.statusCode, 201, reimported.body);
    const copy = reimported.json();
    assert.deepEqual({ ...copy, id: bp.id, metadata: bp.metadata }, bp);
  });

  it('reports a syntax error of the imported text with its line and column', async () => {
    const res = await f.app.inject({
      method: 'POST',
      url: '/v1/blueprints/import',
      headers: { ...bearer(operator), 'content-type': 'application/yaml' },
      payload: 'name: broken\nresources:\n  - type: dharma_file\n   name: x\n',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'blueprint_syntax_error');
    assert.equal(res.json().details.line, 4);
    const invalid = await f.app.inject({
      method: 'POST',
      url: '/v1/blueprints/import',
      headers: { ...bearer(operator), 'content-type': 'application/json' },
      payload: JSON.stringify({ ...blueprint(), resources: [] }),
    });
    assert.equal(invalid.statusCode, 400);
    assert.equal(invalid.json().details[0].path, 'resources');
  });
});
