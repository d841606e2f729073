import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireTofu, tofuEnv } from '../../lib/tofu-tools.js';
import { parseJsonUiLine } from '../../lib/tofu/diagnostics.js';
import {
  runTofu,
  TofuFailed,
  TofuInterrupted,
  tofuProcessEnv,
  TOFU_INTERRUPT_GRACE_MS,
} from '../../lib/tofu/runner.js';

const binary = requireTofu();
const env = tofuProcessEnv(tofuEnv());

const dirs: string[] = [];
after(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

async function workdir(config: unknown): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-runner-'));
  dirs.push(dir);
  await writeFile(path.join(dir, 'main.tf.json'), JSON.stringify(config));
  return dir;
}

describe('runTofu (the tofu process runner)', () => {
  let sleeper: string;
  before(async () => {
    // A local command in the middle of its run when the abort comes: tofu stops it on SIGINT. (A provider
    // resource such as time_sleep would make the test race: once its create call is in flight, tofu waits
    // for the provider to finish.)
    sleeper = await workdir({
      resource: { terraform_data: { wait: { provisioner: { 'local-exec': { command: 'sleep 60' } } } } },
    });
    await runTofu('init', [], { binary, cwd: sleeper, env });
  });

  it('streams -json UI lines and, on abort, stops tofu with SIGINT well within the grace period', async () => {
    const controller = new AbortController();
    const seen: string[] = [];
    const started = Date.now();
    const error = await runTofu('apply', ['-json', '-auto-approve'], {
      binary,
      cwd: sleeper,
      env,
      signal: controller.signal,
      onLine(line) {
        const message = parseJsonUiLine(line);
        if (message?.type) seen.push(message.type);
        if (message?.type === 'provision_start') controller.abort();
      },
    }).then(
      () => assert.fail('an interrupted apply must not succeed'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TofuInterrupted, String(error));
    assert.equal(error.stoppedBy, 'SIGINT');
    assert.ok(Date.now() - started < TOFU_INTERRUPT_GRACE_MS / 2, 'tofu stopped on SIGINT, no kill needed');
    assert.ok(seen.includes('provision_start'));
    // The interrupted resource is never recorded as healthy: tofu marks it tainted, to be replaced next
    // time, or (when the signal lands before tofu persisted it) does not record it at all.
    const { stdout } = await runTofu('show', ['-json'], { binary, cwd: sleeper, env });
    const state = JSON.parse(stdout) as {
      values?: { root_module?: { resources?: { tainted?: boolean }[] } };
    };
    const recorded = state.values?.root_module?.resources ?? [];
    assert.ok(recorded.length <= 1, stdout);
    assert.deepEqual(
      recorded.filter((r) => r.tainted !== true),
      [],
    );
  });

  it("fails with tofu's diagnostic summary and detail, not a stack trace", async () => {
    const dir = await workdir({ resource: { terraform_data: { x: { no_such_argument: 1 } } } });
    await runTofu('init', [], { binary, cwd: dir, env });
    const error = await runTofu('validate', [], { binary, cwd: dir, env }).then(
      () => assert.fail('validate must fail'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof TofuFailed);
    assert.equal(error.command, 'validate');
    assert.match(
      error.message,
      /^tofu validate failed \(exit 1\): Extraneous JSON object property: on main.tf.json line 1, in resource.terraform_data.x: No argument or block type is named "no_such_argument"\.$/,
    );
    assert.deepEqual(
      error.diagnostics.map((d) => [d.severity, d.summary]),
      [['error', 'Extraneous JSON object property']],
    );
  });

  it('accepts the extra success exit codes of -detailed-exitcode', async () => {
    const dir = await workdir({ resource: { terraform_data: { x: { input: 'a' } } } });
    await runTofu('init', [], { binary, cwd: dir, env });
    const { exitCode } = await runTofu('plan', ['-detailed-exitcode'], {
      binary,
      cwd: dir,
      env,
      okExitCodes: [0, 2],
    });
    assert.equal(exitCode, 2);
  });
});
