import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadAuthConfig } from '../../lib/auth/config.js';
import { ROLES } from '../../lib/auth/roles.js';
import { createTokenVerifier } from '../../lib/auth/verify.js';
import { SETTINGS } from '../../lib/config.js';
import { runCli } from './cli-process.js';

const COMMANDS = [
  [],
  ['up'],
  ['api'],
  ['worker'],
  ['doctor'],
  ['token'],
  ['runs'],
  ['runs', 'list'],
  ['runs', 'show'],
  ['runs', 'start'],
  ['runs', 'approve'],
  ['runs', 'reject'],
  ['runs', 'cancel'],
  ['migrate'],
  ['config'],
];

describe('dharma CLI without a running platform', () => {
  let home: string;
  before(async () => {
    home = await mkdtemp(path.join(tmpdir(), 'dharma-cli-'));
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('prints help with examples for every command and exits 0', async () => {
    const results = await Promise.all(COMMANDS.map((command) => runCli([...command, '--help'])));
    results.forEach((result, i) => {
      const name = `dharma ${COMMANDS[i]!.join(' ')}`;
      assert.equal(result.code, 0, `${name} --help exit code; stderr: ${result.stderr}`);
      assert.match(result.stdout, /Usage: dharma/, name);
      assert.match(result.stdout, /Examples:\n {2}\$ .*dharma /, `${name} --help shows examples`);
    });
  });

  it('exits 2 with one line on an unknown command, option or missing argument', async () => {
    for (const args of [['bogus'], ['runs', 'show'], ['config', '--bogus'], ['worker', '--pool', 'gpu']]) {
      const result = await runCli(args);
      assert.equal(result.code, 2, `dharma ${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /^error: /, `dharma ${args.join(' ')}`);
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    }
  });

  it('refuses an unknown role with exit 2 and lists the valid roles', async () => {
    const result = await runCli(['token', '--user', 'alice', '--role', 'superuser'], { DHARMA_HOME: home });
    assert.equal(result.code, 2);
    assert.equal(result.stdout, '');
    assert.equal(result.stderr.trim().split('\n').length, 1, 'one line');
    for (const role of ROLES) assert.ok(result.stderr.includes(role), `lists ${role}: ${result.stderr}`);
  });

  it('mints a token that the API verifier accepts with the given subject, roles and lifetime', async () => {
    const result = await runCli(
      ['token', '--user', 'alice', '--role', 'operator', '--role', 'approver', '--ttl', '120'],
      {
        DHARMA_HOME: home,
      },
    );
    assert.equal(result.code, 0, result.stderr);
    const verify = createTokenVerifier(await loadAuthConfig({ DHARMA_HOME: home }));
    const principal = await verify(result.stdout.trim());
    assert.equal(principal.subject, 'alice');
    assert.deepEqual(principal.roles, ['operator', 'approver']);
    const { exp, iat } = principal.claims;
    assert.equal((exp ?? 0) - (iat ?? 0), 120);
  });

  it('lists every setting with its default and masks secrets', async () => {
    const secret = 'hs256-secret-value-that-must-not-appear';
    const result = await runCli(['config', '--json'], {
      AUTH_HS256_SECRET: secret,
      DATABASE_URL: 'postgres://dharma:pgpass@db.example:5432/dharma',
      API_PORT: '9090',
    });
    assert.equal(result.code, 0, result.stderr);
    const rows = JSON.parse(result.stdout) as Array<{
      setting: string;
      value: string;
      default: string;
      source: string;
    }>;
    assert.deepEqual(
      rows.map((r) => r.setting),
      SETTINGS.map((s) => s.env),
    );
    const byName = new Map(rows.map((r) => [r.setting, r]));
    assert.deepEqual(byName.get('API_PORT'), {
      ...byName.get('API_PORT'),
      value: '9090',
      default: '8080',
      source: 'env',
    });
    assert.equal(byName.get('AUTH_HS256_SECRET')?.value, '****');
    assert.equal(byName.get('DATABASE_URL')?.value, 'postgres://dharma:****@db.example:5432/dharma');
    assert.ok(!result.stdout.includes(secret) && !result.stdout.includes('pgpass'));

    const tableOutput = await runCli(['config']);
    for (const spec of SETTINGS) assert.ok(tableOutput.stdout.includes(spec.env), `table shows ${spec.env}`);
  });

  it('names the missing variable when a worker has no Temporal or database configured', async () => {
    const result = await runCli(['worker', '--pool', 'trust']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^error: TEMPORAL_ADDRESS: expected host:port/);
  });

  it('says the API is unreachable and how to fix it, when nothing listens at API_URL', async () => {
    const result = await runCli(['runs', 'list'], { DHARMA_HOME: home, API_URL: 'http://127.0.0.1:9' });
    assert.equal(result.code, 1);
    assert.equal(
      result.stderr.trim(),
      'error: Dharma API is not reachable at http://127.0.0.1:9 (set API_URL or run `dharma up`)',
    );
  });

  it('takes --version after deploy as the blueprint version, not the program version', async () => {
    const env = { DHARMA_HOME: home, API_URL: 'http://127.0.0.1:9' };
    const deploy = await runCli(
      ['deploy', 'tenant-database', '--env', 'production', '--version', '1.2.0'],
      env,
    );
    assert.equal(deploy.code, 1, 'it tries to deploy (and finds no API), instead of printing a version');
    assert.match(deploy.stderr, /Dharma API is not reachable/);
    const own = await runCli(['--version'], env);
    assert.equal(own.code, 0);
    assert.match(own.stdout, /^\d+\.\d+\.\d+/);
  });

  it('refuses to invent a token when the API is external and API_TOKEN is unset', async () => {
    const result = await runCli(['runs', 'list'], {
      DHARMA_HOME: home,
      TEMPORAL_ADDRESS: 'temporal:7233',
      DATABASE_URL: 'postgres://x@db/x',
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /API_TOKEN is not set/);
  });

  it('rejects malformed --input JSON naming the option', async () => {
    const result = await runCli(['runs', 'start', 'doctor', '--input', '{pools:'], { DHARMA_HOME: home });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /^error: --input: expected JSON/);
  });
});
