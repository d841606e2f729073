import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { stringify } from 'yaml';
import { buildApp } from '../../api/app.js';
import { loadOrCreateDevKey } from '../../lib/auth/dev-key.js';
import { getDeployment } from '../../lib/deployments/repository.js';
import { runCli } from '../cli/cli-process.js';
import { onCleanup } from '../harness/cleanup.js';
import { provisionFixture } from './provision-fixture.js';

/** `dharma deploy` as a user runs it: a child process against a real API on a free port and real workers. */
const fx = await provisionFixture();
const home = await mkdtemp(path.join(tmpdir(), 'dharma-cli-deploy-'));
onCleanup(() => rm(home, { recursive: true, force: true }));
const key = await loadOrCreateDevKey(home);
const app = await buildApp({
  temporal: fx.client,
  db: fx.db,
  auth: { issuer: 'dharma', audience: 'dharma-api', publicKeys: [key.publicJwk] },
  logger: false,
  env: {},
  taskQueuePrefix: fx.prefix,
  uiBaseUrl: 'http://ui.test',
});
await app.listen({ host: '127.0.0.1', port: 0 });
onCleanup(() => app.close());
const address = app.server.address();
assert.ok(typeof address === 'object' && address);
// The CLI mints its own token with the dev key of DHARMA_HOME, as on embedded defaults.
const env = { API_URL: `http://127.0.0.1:${address.port}`, DHARMA_HOME: home };

const deploymentIdOf = (stdout: string) => /: (deploy-\S+)\n/.exec(stdout)?.[1];

describe('dharma deploy', () => {
  it('deploys blueprints/random-pet.yaml to dev with --auto-approve, follows it and exits 0', async () => {
    const result = await runCli(
      ['deploy', 'blueprints/random-pet.yaml', '--env', 'dev', '--auto-approve'],
      env,
    );
    const all = `stdout: ${result.stdout}\nstderr: ${result.stderr}`;
    assert.equal(result.code, 0, all);
    assert.match(result.stdout, /imported blueprints\/random-pet\.yaml as blueprint random-pet@1\.0\.0/);
    assert.match(result.stdout, /deploying random-pet@1\.0\.0 to dev: deploy-random-pet-dev-/);
    assert.match(result.stdout, /state: completed/);
    assert.match(result.stdout, /cost: USD 0\.00\/month/);
    assert.match(result.stdout, /output marker = dev/);
    assert.doesNotMatch(result.stdout, /output pet =/, 'a sensitive output is not printed');
    const id = deploymentIdOf(result.stdout);
    assert.ok(id, all);
    assert.equal((await getDeployment(fx.db, id))?.state, 'completed');
  });

  it('exits non-zero when the deployment fails, naming the failure', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dharma-cli-bp-'));
    onCleanup(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'unreachable.yaml');
    await writeFile(
      file,
      stringify({
        name: 'unreachable-check',
        provider: 'local',
        region: 'local',
        resources: [{ type: 'terraform_data', name: 'marker', properties: { input: 'x' } }],
        // Port 1 on localhost refuses connections: verify fails after apply.
        healthChecks: [{ name: 'closed_port', kind: 'tcp', host: '127.0.0.1', port: 1 }],
      }),
    );
    const result = await runCli(['deploy', file, '--env', 'dev', '--auto-approve'], env);
    const all = `stdout: ${result.stdout}\nstderr: ${result.stderr}`;
    assert.notEqual(result.code, 0, all);
    assert.match(result.stdout, /state: rolled_back/, all);
    assert.match(result.stdout, /failure: .*TCP connect to 127\.0\.0\.1:1 failed/, all);
    assert.match(result.stderr, /deployment deploy-unreachable-check-dev-\S+ rolled_back/, all);
    const id = deploymentIdOf(result.stdout);
    assert.ok(id, all);
    assert.equal((await getDeployment(fx.db, id))?.state, 'rolled_back');
  });
});
