import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  appendFile,
  chmod,
  copyFile,
  cp,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { ActivityDeps } from '../../activities/deps.js';
import { initializedDir, LOCK_FILE, sharedConfig } from '../../activities/terraform/shared-init.js';
import { stateConnString } from '../../activities/terraform/workdir.js';
import { ArtifactCorrupt, getArtifactText } from '../../lib/artifacts/store.js';
import { toolsDir } from '../../lib/config.js';
import { createLogger } from '../../lib/logger.js';
import { requireTofu, tofuEnv } from '../../lib/tofu-tools.js';
import { runTofu, tofuProcessEnv } from '../../lib/tofu/runner.js';
import { mirrorRoot } from '../../scripts/go-tools.js';
import { onCleanup } from '../harness/cleanup.js';
import { terraformFixture } from './terraform-fixture.js';

/** One `tofu init` per provider set and host instead of one per run (issue 4), and when it must run again. */
const fx = await terraformFixture();

const clockStack = await fx.blueprint({
  name: `clock-${randomUUID().slice(0, 8)}`,
  provider: 'local',
  region: 'local',
  resources: [{ type: 'time_static', name: 'born' }],
});

/**
 * A provider mirror and CLI config of the test's own: a provider set no other run on the host has
 * initialized, in a mirror the test may change.
 */
async function privateMirror(): Promise<{ mirror: string; cliConfig: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-init-test-'));
  onCleanup(() => rm(dir, { recursive: true, force: true }));
  const mirror = path.join(dir, 'mirror');
  // Links stay as they are (registry.terraform.io → registry.opentofu.org), inside the copy.
  await cp(mirrorRoot(toolsDir()), mirror, { recursive: true, verbatimSymlinks: true });
  const cliConfig = path.join(dir, 'tofu.rc');
  await writeFile(
    cliConfig,
    `provider_installation {\n  filesystem_mirror {\n    path = ${JSON.stringify(mirror)}\n  }\n}\n`,
  );
  return { mirror, cliConfig };
}

/** initializedDir for the clock stack under a CLI config, collecting tofu's output of each call. */
async function initializer(cliConfig: string) {
  const deps: ActivityDeps = {
    db: fx.db,
    temporal: fx.client,
    logger: createLogger('test'),
    env: { TOFU_CLI_CONFIG: cliConfig },
  };
  const ws = await fx.prepare(clockStack);
  const files = JSON.parse(await getArtifactText(fx.db, ws.configRef)) as Record<string, string>;
  const config = sharedConfig(files, ws.configRef);
  assert.equal(config.schemaName, ws.stateSchema);
  assert.ok(!config.files['main.tf.json']!.includes(ws.stateSchema), 'the schema leaves the files');
  const env = tofuProcessEnv(tofuEnv(deps.env), {
    PG_CONN_STR: stateConnString(deps),
    PG_SCHEMA_NAME: config.schemaName,
  });
  const init = (lines: string[], binary = requireTofu()) =>
    initializedDir(config.terraformBlock, { binary, env, onLine: (l) => lines.push(l) });
  return { init, env, files: config.files };
}

const initialized = (lines: string[]) => lines.some((l) => /Initializing provider plugins/.test(l));

/** The one file of that name in the private mirror, wherever links lead: never the shared mirror's. */
async function fileNamed(dir: string, name: string): Promise<string> {
  const found = (await readdir(dir, { recursive: true })).filter((f) => path.basename(f) === name);
  const files = new Set(await Promise.all(found.map((f) => realpath(path.join(dir, f)))));
  assert.equal(files.size, 1, `one ${name} under ${dir}: ${[...files].join(', ')}`);
  const [file] = files;
  assert.ok(file!.startsWith(`${await realpath(dir)}${path.sep}`), `${file} is inside ${dir}`);
  return file!;
}

describe('shared tofu init', () => {
  it('initializes anew for a rebuilt tofu or an edited CLI config', async () => {
    const { cliConfig } = await privateMirror();
    const { init } = await initializer(cliConfig);
    const binary = path.join(path.dirname(cliConfig), 'tofu');
    await copyFile(requireTofu(), binary);
    await chmod(binary, 0o755);
    const first = await init([], binary);
    onCleanup(() => rm(path.dirname(first.dataDir), { recursive: true, force: true }));
    const unchanged: string[] = [];
    assert.equal((await init(unchanged, binary)).dataDir, first.dataDir);
    assert.ok(!initialized(unchanged));

    const later = new Date(Date.now() + 60_000);
    await utimes(binary, later, later);
    const rebuilt: string[] = [];
    const afterRebuild = await init(rebuilt, binary);
    onCleanup(() => rm(path.dirname(afterRebuild.dataDir), { recursive: true, force: true }));
    assert.ok(initialized(rebuilt), 'a rebuilt tofu runs init');
    assert.notEqual(afterRebuild.dataDir, first.dataDir, 'into a directory of its own');

    await appendFile(cliConfig, 'disable_checkpoint = true\n');
    const edited: string[] = [];
    const afterEdit = await init(edited, binary);
    onCleanup(() => rm(path.dirname(afterEdit.dataDir), { recursive: true, force: true }));
    assert.ok(initialized(edited), 'an edited CLI config runs init');
    assert.ok(![first.dataDir, afterRebuild.dataDir].includes(afterEdit.dataDir));
  });

  it('runs once per provider set and host, again only when its directory is gone', async () => {
    const { init } = await initializer((await privateMirror()).cliConfig);
    const [first, second] = [[] as string[], [] as string[]];
    const [a, b] = await Promise.all([init(first), init(second)]);
    assert.deepEqual(a, b);
    assert.ok(a.lockFile, 'time is installed from the mirror: a lock file');
    assert.equal([first, second].filter(initialized).length, 1, 'two callers at once, one tofu init');
    onCleanup(() => rm(path.dirname(a.dataDir), { recursive: true, force: true }));

    const later: string[] = [];
    await init(later);
    assert.deepEqual(later, [], 'initialized before: no tofu run');

    await rm(path.dirname(a.dataDir), { recursive: true, force: true });
    const again: string[] = [];
    assert.deepEqual(await init(again), a);
    assert.ok(initialized(again), 'a removed directory is made again');

    assert.throws(
      () => sharedConfig({ 'main.tf.json': JSON.stringify({ terraform: {} }) }, 'art_x'),
      ArtifactCorrupt,
    );
  });

  it('runs again when a provider package was rebuilt in the mirror under the same version', async () => {
    const { mirror, cliConfig } = await privateMirror();
    const { init, env, files } = await initializer(cliConfig);
    const before = await init([]);
    onCleanup(() => rm(path.dirname(before.dataDir), { recursive: true, force: true }));
    assert.ok(before.lockFile);
    const lockBefore = await readFile(before.lockFile, 'utf8');

    // A rebuild of the same version (setup after an upgrade): other bytes, so another checksum.
    await appendFile(await fileNamed(mirror, 'terraform-provider-time'), Buffer.alloc(64));
    const lines: string[] = [];
    const after = await init(lines);
    assert.ok(initialized(lines), 'tofu init ran again');
    assert.equal(after.dataDir, before.dataDir, 'in the same place');
    assert.notEqual(after.packages, before.packages, 'known to link to other packages');
    assert.notEqual(
      await readFile(after.lockFile!, 'utf8'),
      lockBefore,
      'the lock file has the new checksum',
    );

    // And tofu accepts the rebuilt package with it, as a run's workdir uses them.
    const workdir = await mkdtemp(path.join(tmpdir(), 'dharma-init-run-'));
    onCleanup(() => rm(workdir, { recursive: true, force: true }));
    for (const [name, text] of Object.entries(files)) await writeFile(path.join(workdir, name), text);
    await writeFile(path.join(workdir, LOCK_FILE), await readFile(after.lockFile!, 'utf8'));
    await runTofu('validate', [], {
      binary: requireTofu(),
      cwd: workdir,
      env: { ...env, TF_DATA_DIR: after.dataDir },
    });
  });
});
