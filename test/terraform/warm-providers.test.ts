import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { WarmProviders, type ProviderLease } from '../../activities/terraform/warm-providers.js';
import { createLogger } from '../../lib/logger.js';
import { requireTofu, tofuEnv } from '../../lib/tofu-tools.js';
import { runTofu, tofuProcessEnv } from '../../lib/tofu/runner.js';

const binary = requireTofu();
const env = tofuProcessEnv(tofuEnv());
const PROVIDERS = {
  dharma: { source: 'dharma/dharma' },
  time: { source: 'hashicorp/time' },
};

let scratch: string;
let dataDir: string;
const pools: WarmProviders[] = [];

/** The provider plugin processes this test process started (directly or through setpriv, which execs). */
async function providerPids(): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    const parent = /^PPid:\s+(\d+)$/m.exec(status)?.[1];
    const name = /^Name:\s+(.+)$/m.exec(status)?.[1] ?? '';
    if (Number(parent) === process.pid && name.startsWith('terraform-prov')) pids.push(Number(entry));
  }
  return pids.sort();
}

/**
 * Resolves once the process is reaped. (Its main thread shows as a zombie while the others may still be
 * tearing down, sockets included.)
 */
async function exited(pid: number): Promise<void> {
  for (let tries = 0; tries < 400; tries++) {
    const state = /^State:\s+(\S)/m.exec(await readFile(`/proc/${pid}/status`, 'utf8').catch(() => ''))?.[1];
    if (state === undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`process ${pid} did not exit`);
}

function serversOf(lease: ProviderLease): Record<string, { Pid: number; Addr: { String: string } }> {
  return JSON.parse(lease.env.TF_REATTACH_PROVIDERS ?? '{}') as Record<
    string,
    { Pid: number; Addr: { String: string } }
  >;
}

const pool = (options: Partial<ConstructorParameters<typeof WarmProviders>[0]> = {}) => {
  const created = new WarmProviders({ stock: 1, idleMs: 60_000, logger: createLogger('test'), ...options });
  pools.push(created);
  return created;
};

before(async () => {
  scratch = await mkdtemp(path.join(tmpdir(), 'dharma-warm-'));
  await writeFile(
    path.join(scratch, 'main.tf.json'),
    JSON.stringify({ terraform: { required_providers: PROVIDERS } }),
  );
  dataDir = path.join(scratch, 'data');
  await runTofu('init', [], { binary, cwd: scratch, env: { ...env, TF_DATA_DIR: dataDir } });
});
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  assert.deepEqual(await providerPids(), [], 'every provider server is stopped');
});
after(() => rm(scratch, { recursive: true, force: true }));

describe('warm provider servers (TOFU_WARM_PROVIDERS)', () => {
  it('serves every tofu command of a run from servers started for it, in its own directory', async () => {
    const lease = await pool().lease({ dataDir, env });
    const servers = serversOf(lease);
    assert.deepEqual(Object.keys(servers).sort(), [
      'registry.opentofu.org/dharma/dharma',
      'registry.opentofu.org/hashicorp/time',
    ]);
    for (const { Pid, Addr } of Object.values(servers)) {
      assert.equal(await readlink(`/proc/${Pid}/cwd`), lease.dir, 'relative paths resolve in the run');
      assert.equal(path.dirname(Addr.String), lease.dir, 'its socket is in the run directory');
    }
    assert.equal((await stat(lease.dir)).mode & 0o777, 0o700, 'which only this user can enter');
    await writeFile(
      path.join(lease.dir, 'main.tf.json'),
      JSON.stringify({
        terraform: { required_providers: PROVIDERS },
        resource: {
          time_static: { born: {} },
          dharma_file: { note: { filename: 'note.txt', content: 'warm\n' } },
        },
      }),
    );
    const run = {
      binary,
      cwd: lease.dir,
      env: { ...env, TF_DATA_DIR: dataDir, TF_LOG: 'debug', ...lease.env },
    };
    const plan = await runTofu('plan', ['-out=plan.bin'], run);
    const apply = await runTofu('apply', ['plan.bin'], run);
    for (const { stderr } of [plan, apply]) assert.doesNotMatch(stderr, /starting plugin/);
    assert.equal(await readFile(path.join(lease.dir, 'note.txt'), 'utf8'), 'warm\n');
    await lease.release();
  });

  it('kills the servers of a run when it ends, and starts those of the next run in advance', async () => {
    const warm = pool();
    const first = await warm.lease({ dataDir, env });
    const firstServers = Object.values(serversOf(first));
    await first.release();
    await warm.ready();
    for (const server of firstServers) {
      assert.ok(!(await providerPids()).includes(server.Pid), 'the servers of the run are gone');
      await assert.rejects(stat(server.Addr.String), 'and so are their sockets');
    }
    await assert.rejects(stat(first.dir), 'and its directory');

    const ready = await providerPids();
    assert.equal(ready.length, 2, 'a set is started for the next run');
    const second = await warm.lease({ dataDir, env });
    assert.deepEqual(
      Object.values(serversOf(second))
        .map((s) => s.Pid)
        .sort(),
      ready,
    );
    await second.release();
  });

  it('never hands out a ready set one of whose servers died', async () => {
    const warm = pool();
    await (await warm.lease({ dataDir, env })).release();
    await warm.ready();
    const [victim] = await providerPids();
    process.kill(victim!, 'SIGKILL');
    await exited(victim!);
    const lease = await warm.lease({ dataDir, env });
    const pids = Object.values(serversOf(lease)).map((s) => s.Pid);
    assert.equal(pids.length, 2);
    assert.ok(!pids.includes(victim!));
    await lease.release();
  });

  it('never hands out servers started from a provider package since rebuilt', async () => {
    const warm = pool();
    await (await warm.lease({ dataDir, env, packages: 'build-1' })).release();
    await warm.ready();
    const before = await providerPids();
    assert.equal(before.length, 2);
    const lease = await warm.lease({ dataDir, env, packages: 'build-2' });
    const pids = Object.values(serversOf(lease)).map((s) => s.Pid);
    assert.equal(pids.length, 2);
    assert.ok(
      pids.every((pid) => !before.includes(pid)),
      'servers of their own, started from the rebuilt package',
    );
    await lease.release();
  });

  it('stops ready sets left idle longer than TOFU_WARM_PROVIDERS_IDLE', async () => {
    const warm = pool({ idleMs: 5 * 60_000 });
    await (await warm.lease({ dataDir, env })).release();
    await warm.ready();
    assert.equal((await providerPids()).length, 2);
    await warm.sweep(Date.now() + 60_000);
    assert.equal((await providerPids()).length, 2, 'not yet idle long enough');
    await warm.sweep(Date.now() + 5 * 60_000);
    assert.deepEqual(await providerPids(), []);
  });

  it('leaves tofu to start its providers when a server cannot be started, and stops trying', async () => {
    const broken = path.join(scratch, 'broken');
    const plugin = path.join(broken, 'providers/registry.opentofu.org/acme/thing/1.0.0/linux_amd64');
    await mkdir(plugin, { recursive: true });
    await writeFile(
      path.join(plugin, 'terraform-provider-thing'),
      '#!/bin/sh\necho "not a plugin" >&2\nexit 3\n',
    );
    await chmod(path.join(plugin, 'terraform-provider-thing'), 0o755);
    const warnings: unknown[] = [];
    const logger = createLogger('test');
    logger.warn = (obj: unknown) => void warnings.push(obj);
    const warm = pool({ logger });
    const lease = await warm.lease({ dataDir: broken, env });
    assert.deepEqual(lease.env, {});
    assert.ok((await stat(lease.dir)).isDirectory(), 'the run still gets its directory');
    const next = await warm.lease({ dataDir: broken, env });
    assert.deepEqual(next.env, {});
    assert.equal(warnings.length, 1, 'later runs do not try again, nor warn again');
    await next.release();
    assert.match(
      String((warnings[0] as { err: Error }).err),
      /acme\/thing did not start: exited \(code 3\): not a plugin/,
    );
    await lease.release();
  });
});
