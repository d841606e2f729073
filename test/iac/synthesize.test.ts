import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import { completeBlueprint } from '../../lib/blueprints/document.js';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import type { Blueprint } from '../../lib/blueprints/schema.js';
import { isMirrored } from '../../lib/iac/provider-pins.js';
import {
  MAIN_FILE,
  stateSchemaName,
  synthesize,
  UnknownVariable,
  VARIABLES_FILE,
  writeSynthesis,
} from '../../lib/iac/synthesize.js';
import { DuplicateBlock, TerraformConfig, type TerraformJson } from '../../lib/iac/terraform-json.js';
import { PINNED_PROVIDERS, requireTofu, tofuEnv } from '../../lib/tofu-tools.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';

const exec = promisify(execFile);

// Module level, before any describe: suites registered before a top-level await would start (and
// end) without those declared after it. The fresh database is dropped by an after() of the file.
const services = await testServices();
const adminUrl = new URL(services.databaseUrl);
const { url: databaseUrl, db } = await freshDatabase(services, { migrated: false });

async function starter(name: string): Promise<Blueprint> {
  const input = await readBlueprintFile(starterBlueprintPath(name));
  const at = '2025-01-01T00:00:00.000Z';
  return completeBlueprint(input, {
    id: name,
    version: '1.0.0',
    createdBy: 'test',
    createdAt: at,
    updatedAt: at,
  });
}

const mainOf = (files: Record<string, string>) => JSON.parse(files[MAIN_FILE]!) as TerraformJson;

/** The same object with its keys inserted in reverse order, at every level. */
function reversedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([k, v]) => [k, reversedKeys(v)]),
  );
}

describe('Terraform JSON builder', () => {
  it('renders blocks with references, depends_on and sorted keys', () => {
    const config = new TerraformConfig().requireProvider('dharma', {
      source: 'dharma/dharma',
      version: '0.1.0',
    });
    const length = config.variable('length', { type: 'number', default: 8 });
    const name = config.resource('dharma_random_string', 'name', { length });
    config.resource(
      'terraform_data',
      'marker',
      { triggers_replace: { name: name.attr('id') } },
      { dependsOn: [name] },
    );
    config.output('name', { value: name.attr('result'), sensitive: true });
    const doc = JSON.parse(config.render()) as TerraformJson;
    assert.deepEqual(doc.resource?.terraform_data?.marker, {
      depends_on: ['dharma_random_string.name'],
      triggers_replace: { name: '${dharma_random_string.name.id}' },
    });
    assert.equal(doc.resource?.dharma_random_string?.name?.length, '${var.length}');
    assert.deepEqual(Object.keys(doc), ['output', 'resource', 'terraform', 'variable']);
    assert.throws(() => config.resource('dharma_random_string', 'name', {}), DuplicateBlock);
  });
});

describe('synthesize', () => {
  it('is deterministic: the same blueprint, whatever its key order, gives the same files and hash', async () => {
    const bp = await starter('tenant-database');
    const a = synthesize(bp, { environment: 'staging', backend: {} });
    const b = synthesize(reversedKeys(bp) as Blueprint, { environment: 'staging', backend: {} });
    assert.equal(a.hash, b.hash);
    assert.deepEqual(a.files, b.files);
    assert.match(a.hash, /^sha256:[0-9a-f]{64}$/);
    const production = synthesize(bp, { environment: 'production', backend: {} });
    assert.notEqual(production.hash, a.hash, 'the environment is part of the configuration');
  });

  it('pins the mirrored provider versions and keeps state in a pg schema per stack and environment', async () => {
    const bp = await starter('tenant-database');
    const s = synthesize(bp, { environment: 'staging', backend: { connStr: 'postgres://u:secret@h/db' } });
    const main = mainOf(s.files);
    const pin = (type: string) => PINNED_PROVIDERS.find((p) => p.type === type)!;
    assert.deepEqual(main.terraform.required_providers, {
      dharma: { source: 'dharma/dharma', version: pin('dharma').version },
    });
    assert.deepEqual(main.terraform.backend, { pg: { schema_name: 'tfstate_tenant_database_staging' } });
    assert.equal(s.schemaName, 'tfstate_tenant_database_staging');
    assert.deepEqual(s.env, { PG_CONN_STR: 'postgres://u:secret@h/db' });
    assert.doesNotMatch(s.files[MAIN_FILE]!, /secret/, 'the backend password is never written to a file');
    const other = synthesize(bp, { environment: 'staging', stack: 'tenant-b', backend: {} });
    assert.equal(other.schemaName, 'tfstate_tenant_b_staging');
  });

  it('requires no provider for the built-in terraform_data', async () => {
    const main = mainOf(synthesize(await starter('random-pet'), { environment: 'dev', backend: {} }).files);
    assert.ok(main.resource?.terraform_data?.marker);
    assert.deepEqual(Object.keys(main.terraform.required_providers), ['dharma', 'time']);
  });

  it('applies environment overrides to variables and resource properties', async () => {
    const web = await starter('aws-web-tier');
    const staging = mainOf(synthesize(web, { environment: 'staging', backend: {} }).files);
    const production = mainOf(synthesize(web, { environment: 'production', backend: {} }).files);
    assert.equal(staging.variable?.web_count?.default, 2);
    assert.equal(production.variable?.web_count?.default, 4);
    const app = production.resource?.aws_db_instance?.app as Record<string, unknown>;
    assert.equal(app.instance_class, 'db.m6g.large');
    assert.equal(app.storage_encrypted, true, 'properties not overridden are kept');
    assert.deepEqual(app.tags, {
      Name: 'web-tier',
      Environment: '${local.environment}',
      Owner: '${var.owner}',
      'Cost Center': 'cc-1234',
      Protected: 'true',
    });
    assert.deepEqual(production.provider, { aws: { region: 'eu-west-1' } });
    assert.equal(isMirrored('aws'), false);
    assert.equal(production.terraform.required_providers.aws?.version, '5.100.0');
  });

  it('writes deployment variable values to terraform.tfvars.json and refuses undeclared ones', async () => {
    const bp = await starter('random-pet');
    const s = synthesize(bp, { environment: 'dev', backend: {}, variables: { words: 3 } });
    assert.deepEqual(JSON.parse(s.files[VARIABLES_FILE]!), { words: 3 });
    assert.notEqual(s.hash, synthesize(bp, { environment: 'dev', backend: {} }).hash);
    assert.throws(
      () => synthesize(bp, { environment: 'dev', backend: {}, variables: { colour: 'red' } }),
      (error: unknown) => error instanceof UnknownVariable && /colour.*declared: words/.test(error.message),
    );
  });

  it('derives schema names PostgreSQL accepts, distinct even when cut to 63 characters', () => {
    const long = 'x'.repeat(80);
    const a = stateSchemaName(`${long}-a`, 'production');
    const b = stateSchemaName(`${long}-b`, 'production');
    assert.ok(a.length <= 63 && b.length <= 63);
    assert.notEqual(a, b);
  });

  it('never gives two stacks one schema: plain names read back, the others carry a hash of the exact pair', () => {
    assert.equal(stateSchemaName('tenant-database', 'staging'), 'tfstate_tenant_database_staging');
    const pairs: Array<[string, string]> = [
      ['web-app', 'dev'],
      ['web_app', 'dev'],
      ['Web-App', 'dev'],
      ['web.app', 'dev'],
      ['a-b', 'c'],
      ['a', 'b-c'],
      ['web-app', 'prod-eu'],
      ['web-app-prod', 'eu'],
      ['Tenant DB', 'prod-eu'],
    ];
    const names = pairs.map(([stack, environment]) => stateSchemaName(stack, environment));
    assert.equal(new Set(names).size, pairs.length, names.join(', '));
    for (const name of names) assert.match(name, /^[a-z0-9_]{1,63}$/);
    assert.match(stateSchemaName('web_app', 'dev'), /^tfstate_web_app_dev__[0-9a-f]{12}$/);
    const long = stateSchemaName(`${'y'.repeat(80)}_b`, 'production');
    assert.ok(long.length <= 63 && long !== stateSchemaName(`${'y'.repeat(80)}_c`, 'production'));
  });
});

describe('synthesized starter blueprints under OpenTofu, state in PostgreSQL', () => {
  const dirs: string[] = [];
  after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  async function tofu(dir: string, env: Record<string, string>, ...args: string[]): Promise<string> {
    try {
      const { stdout } = await exec(requireTofu(), [`-chdir=${dir}`, ...args, '-no-color'], {
        env: { ...process.env, ...tofuEnv(), ...env },
        maxBuffer: 16 * 1024 * 1024,
      });
      return stdout;
    } catch (error) {
      const failed = error as { stdout?: string; stderr?: string };
      return assert.fail(`tofu ${args.join(' ')} failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
    }
  }

  async function prepare(name: string, environment: string, variables?: Record<string, unknown>) {
    const dir = await mkdtemp(path.join(tmpdir(), `dharma-iac-${name}-`));
    dirs.push(dir);
    const s = synthesize(await starter(name), {
      environment,
      backend: { connStr: databaseUrl },
      ...(variables ? { variables } : {}),
    });
    await writeSynthesis(dir, s);
    await tofu(dir, s.env, 'init', '-input=false');
    await tofu(dir, s.env, 'validate');
    return { dir, s };
  }

  it('tenant-database: apply creates the database and roles in the local PostgreSQL, destroy removes them', async () => {
    const tenant = `t${Date.now().toString(36)}`;
    const names = {
      database: `${tenant}_test`,
      owner: `${tenant}_test_owner`,
      reader: `${tenant}_test_reader`,
    };
    const { dir, s } = await prepare('tenant-database', 'test', {
      tenant,
      pg_host: adminUrl.hostname,
      pg_port: Number(adminUrl.port),
      pg_username: decodeURIComponent(adminUrl.username),
      pg_maintenance_database: adminUrl.pathname.slice(1),
    });
    const env = { ...s.env, TF_VAR_pg_password: decodeURIComponent(adminUrl.password) };
    try {
      await tofu(dir, env, 'plan', '-input=false', '-out=tfplan');
      const plan = JSON.parse(await tofu(dir, env, 'show', '-json', 'tfplan')) as {
        resource_changes: { address: string; change: { actions: string[] } }[];
      };
      assert.deepEqual(plan.resource_changes.map((rc) => rc.address).sort(), [
        'dharma_postgresql_database.db',
        'dharma_postgresql_grant.reader_connect',
        'dharma_postgresql_grant.reader_usage',
        'dharma_postgresql_role.owner',
        'dharma_postgresql_role.reader',
        'dharma_random_string.owner_password',
      ]);
      await tofu(dir, env, 'apply', '-input=false', 'tfplan');
      const { rows } = await db.query<{ owner: string; limit: number; connect: boolean }>(
        `SELECT pg_get_userbyid(datdba) AS owner, datconnlimit AS limit,
                has_database_privilege($2, datname, 'CONNECT') AS connect
         FROM pg_database WHERE datname = $1`,
        [names.database, names.reader],
      );
      assert.deepEqual(rows, [{ owner: names.owner, limit: 20, connect: true }]);

      const outputs = JSON.parse(await tofu(dir, env, 'output', '-json')) as Record<
        string,
        { value: string }
      >;
      assert.equal(outputs.database?.value, names.database);
      const asOwner = new URL(adminUrl);
      asOwner.username = names.owner;
      asOwner.password = outputs.owner_password!.value;
      asOwner.pathname = `/${names.database}`;
      const owner = new pg.Client({ connectionString: asOwner.toString() });
      await owner.connect();
      try {
        const reader = await owner.query<{ usage: boolean }>(
          `SELECT has_schema_privilege($1, 'public', 'USAGE') AS usage`,
          [names.reader],
        );
        assert.deepEqual(
          reader.rows,
          [{ usage: true }],
          'the reader may use the public schema of its database',
        );
      } finally {
        await owner.end();
      }

      await tofu(dir, env, 'destroy', '-auto-approve', '-input=false');
      const left = await db.query(
        `SELECT datname AS name FROM pg_database WHERE datname = $1
         UNION ALL SELECT rolname FROM pg_roles WHERE rolname = ANY($2)`,
        [names.database, [names.owner, names.reader]],
      );
      assert.deepEqual(left.rows, [], 'the database and both roles are gone');
    } finally {
      await db.query(`DROP DATABASE IF EXISTS "${names.database}" WITH (FORCE)`);
      await db.query(`DROP ROLE IF EXISTS "${names.owner}", "${names.reader}"`);
    }
  });

  it('random-pet and scratch-files: plan, apply and destroy with state rows in their own pg schemas', async () => {
    for (const name of ['random-pet', 'scratch-files']) {
      const { dir, s } = await prepare(name, 'test');
      await tofu(dir, s.env, 'plan', '-input=false', '-out=tfplan');
      await tofu(dir, s.env, 'apply', '-input=false', 'tfplan');
      const { rows } = await db.query<{ name: string }>(`SELECT name FROM ${s.schemaName}.states`);
      assert.deepEqual(
        rows.map((r) => r.name),
        ['default'],
        `${name}: state lives in ${s.schemaName}`,
      );
      await tofu(dir, s.env, 'destroy', '-auto-approve', '-input=false');
    }
  });
});
