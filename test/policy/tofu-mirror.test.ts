import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import pg from 'pg';
import {
  PINNED_PROVIDERS,
  TOFU_VERSION,
  requireTofu,
  requiredProviders,
  tofuCliConfigFile,
  tofuEnv,
} from '../../lib/tofu-tools.js';
import { testServices } from '../harness/services.js';

const exec = promisify(execFile);

/**
 * Any HTTP(S) request tofu makes goes to a closed port and fails: together with the mirror-only CLI
 * config this proves `init` needs no network (the PostgreSQL provider speaks its own protocol on loopback).
 */
const NO_NETWORK = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };

async function tofu(dir: string, ...args: string[]): Promise<string> {
  const env = { ...process.env, ...tofuEnv(), ...NO_NETWORK };
  try {
    const { stdout } = await exec(requireTofu(), ['-chdir=' + dir, ...args], {
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string };
    assert.fail(`tofu ${args.join(' ')} failed:\n${failed.stdout ?? ''}\n${failed.stderr ?? ''}`);
  }
}

async function databaseExists(url: string, name: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return rowCount === 1;
  } finally {
    await client.end();
  }
}

describe('OpenTofu with the pinned providers from the local filesystem mirror', () => {
  let dir: string;
  let adminUrl: string;
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const database = `tofu_mirror_${suffix}`;
  const role = `tofu_mirror_owner_${suffix}`;

  before(async () => {
    adminUrl = (await testServices()).databaseUrl;
    dir = await mkdtemp(path.join(tmpdir(), 'dharma-tofu-'));
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is the pinned OpenTofu version', async () => {
    const { stdout } = await exec(requireTofu(), ['version', '-json'], {
      env: { ...process.env, ...tofuEnv() },
    });
    assert.equal((JSON.parse(stdout) as { terraform_version: string }).terraform_version, TOFU_VERSION);
  });

  it('uses a CLI config that installs providers only from the mirror', async () => {
    const config = await readFile(tofuCliConfigFile(), 'utf8');
    assert.match(config, /filesystem_mirror/);
    assert.doesNotMatch(config, /direct\s*\{/);
  });

  it('inits, plans, applies and destroys every mirrored provider, creating a real PostgreSQL database', async () => {
    const pgUrl = new URL(adminUrl);
    const config = {
      terraform: { required_providers: requiredProviders(PINNED_PROVIDERS.map((p) => p.type)) },
      provider: {
        postgresql: {
          host: pgUrl.hostname,
          port: Number(pgUrl.port),
          username: decodeURIComponent(pgUrl.username),
          password: decodeURIComponent(pgUrl.password),
          database: pgUrl.pathname.slice(1),
          sslmode: 'disable',
          superuser: true,
        },
      },
      resource: {
        random_password: { owner: { length: 24, special: false } },
        time_static: { created: {} },
        null_resource: { marker: { triggers: { created: '${time_static.created.rfc3339}' } } },
        local_file: { report: { filename: '${path.module}/report.txt', content: database } },
        postgresql_role: { owner: { name: role, login: true, password: '${random_password.owner.result}' } },
        postgresql_database: { tenant: { name: database, owner: '${postgresql_role.owner.name}' } },
        postgresql_grant: {
          connect: {
            database: '${postgresql_database.tenant.name}',
            role: '${postgresql_role.owner.name}',
            object_type: 'database',
            privileges: ['CONNECT'],
          },
        },
      },
      output: { database: { value: '${postgresql_database.tenant.name}' } },
    };
    await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));

    const init = await tofu(dir, 'init', '-input=false', '-no-color');
    for (const p of PINNED_PROVIDERS) {
      assert.match(
        init,
        new RegExp(`Installing ${p.namespace}/${p.type} v${p.version.replaceAll('.', '\\.')}`),
      );
    }
    await tofu(dir, 'plan', '-input=false', '-no-color', '-out=tfplan');
    const plan = JSON.parse(await tofu(dir, 'show', '-json', 'tfplan')) as {
      resource_changes: { address: string; change: { actions: string[] } }[];
    };
    assert.equal(plan.resource_changes.length, 7);
    assert.ok(plan.resource_changes.every((rc) => rc.change.actions.join() === 'create'));

    await tofu(dir, 'apply', '-input=false', '-no-color', 'tfplan');
    const outputs = JSON.parse(await tofu(dir, 'output', '-json')) as { database: { value: string } };
    assert.equal(outputs.database.value, database);
    assert.equal(await databaseExists(adminUrl, database), true);
    assert.equal(await readFile(path.join(dir, 'report.txt'), 'utf8'), database);

    await tofu(dir, 'destroy', '-auto-approve', '-input=false', '-no-color');
    assert.equal(await databaseExists(adminUrl, database), false);
    const state = JSON.parse(await tofu(dir, 'show', '-json')) as { values?: unknown };
    assert.equal(state.values, undefined, 'nothing is left in state after destroy');
  });
});
