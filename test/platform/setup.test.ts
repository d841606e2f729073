import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';

const root = packageRoot();

function setup(...args: string[]) {
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/setup.ts', ...args], {
    cwd: root,
    encoding: 'utf8',
  });
  return { ...result, seconds: (performance.now() - started) / 1000 };
}

describe('npm run setup --if-needed', () => {
  it('is a silent, fast no-op when tools and build are up to date', () => {
    // Brings everything up to date (already the case under `npm test`, which ran setup first).
    const first = setup('--if-needed');
    assert.equal(first.status, 0, first.stdout + first.stderr);
    const stamp = path.join(root, 'dist', '.build-stamp');
    const stampBefore = statSync(stamp).mtimeMs;
    const bundleBefore = statSync(path.join(root, 'dist', 'workflow-bundle.js')).mtimeMs;

    const second = setup('--if-needed');
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, '', 'nothing to do, so nothing printed');
    assert.equal(statSync(stamp).mtimeMs, stampBefore, 'no rebuild');
    assert.equal(
      statSync(path.join(root, 'dist', 'workflow-bundle.js')).mtimeMs,
      bundleBefore,
      'no rebundle',
    );
    // Includes starting node + tsx, on a busy CI machine; the check itself takes a few milliseconds.
    assert.ok(second.seconds < 5, `took ${second.seconds.toFixed(2)}s`);
  });
});
