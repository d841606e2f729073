import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { packageRoot } from '../../lib/package-root.js';

const exec = promisify(execFile);

describe('the dharma provider Go module', () => {
  it('passes its unit tests (quoting, privileges, random draws, served schemas)', async () => {
    const dir = path.join(packageRoot(), 'scripts', 'tools', 'terraform-provider-dharma');
    // -p 1: the machine is shared; Go's test cache makes reruns on unchanged source instant.
    const { stdout } = await exec('go', ['test', '-p', '1', './...'], {
      cwd: dir,
      env: { ...process.env, GOTOOLCHAIN: 'auto', GOFLAGS: '-mod=readonly' },
      maxBuffer: 4 * 1024 * 1024,
    }).catch((error: { stdout?: string; stderr?: string }) =>
      assert.fail(`go test failed:\n${error.stdout ?? ''}\n${error.stderr ?? ''}`),
    );
    for (const pkg of ['internal/pgsql', 'internal/provider', 'internal/randstr']) {
      assert.match(stdout, new RegExp(`^ok\\s+\\S+/${pkg}\\s`, 'm'), `${pkg} ran and passed`);
    }
  });
});
