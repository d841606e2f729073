import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
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
 * config this proves `init` needs no network (the dharma provider speaks PostgreSQL's own protocol).
 */
const NO_NETWORK = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function tofuRun(dir: string, env: Record<string, string>, ...args: string[]): Promise<Run> {
  try {
    const { stdout, stderr } = await exec(requireTofu(), [`-chdir=${dir}`, ...args], {
      env: { ...process.env, ...tofuEnv(), ...NO_NETWORK, ...env },
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Runs tofu and fails the test unless it exits 0. */
async function tofu(dir: string, env: Record<string, string>, ...args: string[]): Promise<string> {
  const run = await tofuRun(dir, env, ...args, '-no-color');
  if (run.code !== 0) assert.fail(`tofu ${args.join(' ')} exited ${run.code}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

/** `plan -detailed-exitcode`: 0 when nothing would change, 2 when something would. */
async function planExitCode(dir: string, env: Record<string, string>, ...args: string[]): Promise<number> {
  const run = await tofuRun(dir, env, 'plan', '-input=false', '-no-color', '-detailed-exitcode', ...args);
  if (run.code === 1) assert.fail(`tofu plan failed:\n${run.stdout}\n${run.stderr}`);
  return run.code;
}

interface PlanJson {
  resource_changes: { address: string; change: { actions: string[] } }[];
}

async function planned(dir: string, env: Record<string, string>, ...args: string[]): Promise<PlanJson> {
  await tofu(dir, env, 'plan', '-input=false', '-out=tfplan', ...args);
  return JSON.parse(await tofu(dir, env, 'show', '-json', 'tfplan')) as PlanJson;
}

const actionsOf = (plan: PlanJson) =>
  Object.fromEntries(plan.resource_changes.map((rc) => [rc.address, rc.change.actions.join('+')]));

async function stateIsEmpty(dir: string, env: Record<string, string>): Promise<boolean> {
  const state = JSON.parse(await tofu(dir, env, 'show', '-json')) as { values?: unknown };
  return state.values === undefined;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

describe('OpenTofu and the mirrored providers', () => {
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

  it('refuses invalid PostgreSQL arguments at validate time, naming the field', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dharma-tofu-invalid-'));
    try {
      const config = {
        terraform: { required_providers: requiredProviders(['dharma']) },
        resource: {
          dharma_postgresql_grant: {
            bad: { database: 'db', role: 'r', object_type: 'database', privileges: ['SELECT'] },
          },
          dharma_postgresql_role: { long: { name: 'r'.repeat(64) } },
        },
      };
      await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config));
      await tofu(dir, {}, 'init', '-input=false');
      const run = await tofuRun(dir, {}, 'validate', '-no-color');
      assert.equal(run.code, 1);
      const errors = run.stderr.replace(/\s+/g, ' ');
      assert.match(errors, /privilege "SELECT" does not apply to a database: expected some of ALL, CONNECT/);
      assert.match(errors, /name "r{64}" is 64 bytes long; PostgreSQL names are at most 63 bytes/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('dharma_postgresql_* against the harness PostgreSQL', () => {
  const suffix = randomUUID().replaceAll('-', '').slice(0, 10);
  const database = `tofu_tenant_${suffix}`;
  const owner = `tofu_owner_${suffix}`;
  const reader = `tofu_reader_${suffix}`;
  let dir: string;
  let adminUrl: URL;
  /** The password reaches the provider only through PGPASSWORD: nothing secret is in the files. */
  let env: Record<string, string>;

  /** A connection to the tenant database as the reader, with the password the random string drew. */
  async function asReader<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const outputs = JSON.parse(await tofu(dir, env, 'output', '-json')) as Record<string, { value: string }>;
    const url = new URL(adminUrl);
    url.username = reader;
    url.password = outputs.reader_password!.value;
    url.pathname = `/${database}`;
    return withClient(url.toString(), fn);
  }

  before(async () => {
    adminUrl = new URL((await testServices()).databaseUrl);
    env = { PGPASSWORD: decodeURIComponent(adminUrl.password) };
    dir = await mkdtemp(path.join(tmpdir(), 'dharma-tofu-pg-'));
    const config = {
      terraform: { required_providers: requiredProviders(PINNED_PROVIDERS.map((p) => p.type)) },
      variable: { schema_privileges: { type: 'list(string)', default: ['USAGE', 'CREATE'] } },
      provider: {
        dharma: {
          postgres: {
            host: adminUrl.hostname,
            port: Number(adminUrl.port),
            username: decodeURIComponent(adminUrl.username),
            database: adminUrl.pathname.slice(1),
            sslmode: 'disable',
          },
        },
      },
      resource: {
        dharma_random_string: { reader: { length: 24, special: false } },
        time_static: { created: {} },
        terraform_data: { marker: { input: '${time_static.created.rfc3339}' } },
        dharma_postgresql_role: {
          owner: { name: owner, login: true, connection_limit: 5 },
          reader: { name: reader, login: true, password: '${dharma_random_string.reader.result}' },
        },
        dharma_postgresql_database: {
          tenant: { name: database, owner: '${dharma_postgresql_role.owner.name}' },
        },
        dharma_postgresql_grant: {
          connect: {
            database: '${dharma_postgresql_database.tenant.name}',
            role: '${dharma_postgresql_role.reader.name}',
            object_type: 'database',
            privileges: ['CONNECT'],
          },
          public_schema: {
            database: '${dharma_postgresql_database.tenant.name}',
            role: '${dharma_postgresql_role.reader.name}',
            object_type: 'schema',
            privileges: '${var.schema_privileges}',
          },
        },
      },
      output: {
        database: { value: '${dharma_postgresql_database.tenant.name}' },
        reader_password: { value: '${dharma_random_string.reader.result}', sensitive: true },
      },
    };
    await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
  });

  after(async () => {
    // Only matters when a test failed before destroy: leave no database or role in the shared server.
    await withClient(adminUrl.toString(), async (client) => {
      await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
      await client.query(`DROP ROLE IF EXISTS "${reader}"`);
      await client.query(`DROP ROLE IF EXISTS "${owner}"`);
    });
    await rm(dir, { recursive: true, force: true });
  });

  it('init installs every pinned provider from the mirror, without network', async () => {
    const init = await tofu(dir, env, 'init', '-input=false');
    for (const p of PINNED_PROVIDERS) {
      assert.match(
        init,
        new RegExp(`Installing ${p.namespace}/${p.type} v${p.version.replaceAll('.', '\\.')}`),
      );
    }
  });

  it('apply creates the roles and the database, and the grants let the reader connect and create', async () => {
    const plan = await planned(dir, env, '-input=false');
    assert.equal(plan.resource_changes.length, 8);
    assert.ok(plan.resource_changes.every((rc) => rc.change.actions.join() === 'create'));
    await tofu(dir, env, 'apply', '-input=false', 'tfplan');

    await withClient(adminUrl.toString(), async (client) => {
      const roles = await client.query<{ rolname: string; rolcanlogin: boolean; rolconnlimit: number }>(
        'SELECT rolname, rolcanlogin, rolconnlimit FROM pg_roles WHERE rolname = ANY($1) ORDER BY rolname',
        [[owner, reader]],
      );
      assert.deepEqual(roles.rows, [
        { rolname: owner, rolcanlogin: true, rolconnlimit: 5 },
        { rolname: reader, rolcanlogin: true, rolconnlimit: -1 },
      ]);
      const db = await client.query<{ owner: string; encoding: string }>(
        `SELECT pg_get_userbyid(datdba) AS owner, pg_encoding_to_char(encoding) AS encoding
         FROM pg_database WHERE datname = $1`,
        [database],
      );
      assert.deepEqual(db.rows, [{ owner, encoding: 'UTF8' }]);
    });
    await asReader(async (client) => {
      await client.query('CREATE TABLE public.notes (body text)');
      await client.query(`INSERT INTO public.notes VALUES ('granted')`);
    });
  });

  it('a second plan finds nothing to change', async () => {
    assert.equal(await planExitCode(dir, env), 0);
  });

  it('imports an existing role, database and grant back into state with nothing to change', async () => {
    const imports: [string, string][] = [
      ['dharma_postgresql_role.owner', owner],
      ['dharma_postgresql_database.tenant', database],
      ['dharma_postgresql_grant.connect', `${reader}|${database}|public|database`],
    ];
    for (const [address, id] of imports) {
      await tofu(dir, env, 'state', 'rm', address);
      await tofu(dir, env, 'import', '-input=false', address, id);
    }
    assert.equal(await planExitCode(dir, env), 0);
  });

  it('changes privileges in place, and the role loses what was revoked', async () => {
    const plan = await planned(dir, env, '-input=false', '-var=schema_privileges=["USAGE"]');
    assert.deepEqual(
      Object.entries(actionsOf(plan)).filter(([, a]) => a !== 'no-op'),
      [['dharma_postgresql_grant.public_schema', 'update']],
    );
    await tofu(dir, env, 'apply', '-input=false', 'tfplan');
    await asReader(async (client) => {
      await assert.rejects(
        client.query('CREATE TABLE public.more (x int)'),
        /permission denied for schema public/,
      );
      const { rows } = await client.query<{ body: string }>('SELECT body FROM public.notes');
      assert.deepEqual(rows, [{ body: 'granted' }], 'USAGE still reaches the table the reader owns');
    });
    assert.equal(await planExitCode(dir, env, '-var=schema_privileges=["USAGE"]'), 0);
  });

  it('detects a privilege revoked outside tofu as drift', async () => {
    await withClient(adminUrl.toString(), (client) =>
      client.query(`REVOKE CONNECT ON DATABASE "${database}" FROM "${reader}"`),
    );
    assert.equal(await planExitCode(dir, env, '-var=schema_privileges=["USAGE"]'), 2);
    await tofu(dir, env, 'apply', '-input=false', '-auto-approve', '-var=schema_privileges=["USAGE"]');
    await asReader((client) => client.query('SELECT 1'));
  });

  it('destroy drops the database and the roles and leaves the state empty', async () => {
    // A session still open on the tenant database: dropping it ends that session (WITH (FORCE)).
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const session = new pg.Client({ connectionString: url.toString() });
    await session.connect();
    session.on('error', () => undefined);
    await tofu(dir, env, 'destroy', '-auto-approve', '-input=false', '-var=schema_privileges=["USAGE"]');
    await session.end().catch(() => undefined);
    await withClient(adminUrl.toString(), async (client) => {
      const dbs = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
      assert.equal(dbs.rowCount, 0);
      const roles = await client.query('SELECT 1 FROM pg_roles WHERE rolname = ANY($1)', [[owner, reader]]);
      assert.equal(roles.rowCount, 0);
    });
    assert.equal(await stateIsEmpty(dir, env), true);
  });
});

describe('dharma_random_string, dharma_file, time and terraform_data without any database', () => {
  let dir: string;
  let file: string;
  const env = {};
  const outputs = async () =>
    JSON.parse(await tofu(dir, env, 'output', '-json')) as Record<string, { value: string }>;

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'dharma-tofu-files-'));
    file = path.join(dir, 'out', 'report.txt');
    const config = {
      terraform: { required_providers: requiredProviders(['dharma', 'time']) },
      variable: { keeper: { type: 'string', default: 'a' } },
      resource: {
        dharma_random_string: { token: { length: 20, keepers: { k: '${var.keeper}' } } },
        dharma_file: {
          report: {
            filename: '${path.module}/out/report.txt',
            content: 'report ${var.keeper}\n',
            file_permission: '0600',
          },
        },
        time_static: { created: {} },
        terraform_data: { written: { triggers_replace: { sha: '${dharma_file.report.content_sha256}' } } },
      },
      output: {
        token: { value: '${dharma_random_string.token.result}', sensitive: true },
        sha: { value: '${dharma_file.report.content_sha256}' },
      },
    };
    await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config, null, 2));
    await tofu(dir, env, 'init', '-input=false');
  });

  after(() => rm(dir, { recursive: true, force: true }));

  it('apply draws a string of the asked length and writes the file with its permission', async () => {
    await tofu(dir, env, 'apply', '-input=false', '-auto-approve');
    const { token, sha } = await outputs();
    assert.match(token!.value, /^.{20}$/);
    assert.equal(await readFile(file, 'utf8'), 'report a\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.match(sha!.value, /^[0-9a-f]{64}$/);
  });

  it('keeps the random string across plans and applies while the keepers stay the same', async () => {
    const before = (await outputs()).token!.value;
    assert.equal(await planExitCode(dir, env), 0);
    assert.equal(await planExitCode(dir, env), 0);
    await tofu(dir, env, 'apply', '-input=false', '-auto-approve');
    assert.equal((await outputs()).token!.value, before);
  });

  it('draws a new string when a keeper changes', async () => {
    const before = (await outputs()).token!.value;
    const plan = await planned(dir, env, '-input=false', '-var=keeper=b');
    assert.equal(actionsOf(plan)['dharma_random_string.token'], 'delete+create');
    assert.equal(actionsOf(plan)['dharma_file.report'], 'update');
    await tofu(dir, env, 'apply', '-input=false', 'tfplan');
    assert.notEqual((await outputs()).token!.value, before);
    assert.equal(await readFile(file, 'utf8'), 'report b\n');
  });

  it('reports a file edited or removed on disk as drift, and apply restores it', async () => {
    assert.equal(await planExitCode(dir, env, '-var=keeper=b'), 0);
    await writeFile(file, 'edited by hand\n');
    assert.equal(await planExitCode(dir, env, '-var=keeper=b'), 2);
    const plan = await planned(dir, env, '-input=false', '-var=keeper=b');
    assert.equal(actionsOf(plan)['dharma_file.report'], 'update');
    await tofu(dir, env, 'apply', '-input=false', 'tfplan');
    assert.equal(await readFile(file, 'utf8'), 'report b\n');

    await unlink(file);
    assert.equal(await planExitCode(dir, env, '-var=keeper=b'), 2);
    await tofu(dir, env, 'apply', '-input=false', '-auto-approve', '-var=keeper=b');
    assert.equal(await readFile(file, 'utf8'), 'report b\n');
  });

  it('destroy removes the file and empties the state', async () => {
    await tofu(dir, env, 'destroy', '-auto-approve', '-input=false', '-var=keeper=b');
    await assert.rejects(stat(file), { code: 'ENOENT' });
    assert.equal(await stateIsEmpty(dir, env), true);
  });
});
