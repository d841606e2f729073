import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  opaBinary,
  requireTofu,
  requiredProviders,
  tofuBinary,
  tofuCliConfigFile,
  tofuEnv,
} from '../../lib/tofu-tools.js';

describe('tool locations', () => {
  const tools = { DHARMA_TOOLS_DIR: '/opt/dharma-tools' };

  it('defaults to the pinned binaries and CLI config in the tools directory', () => {
    assert.equal(tofuBinary(tools), '/opt/dharma-tools/bin/tofu');
    assert.equal(opaBinary(tools), '/opt/dharma-tools/bin/opa');
    assert.equal(tofuCliConfigFile(tools), '/opt/dharma-tools/tofu.rc');
    assert.equal(tofuEnv(tools).TF_CLI_CONFIG_FILE, '/opt/dharma-tools/tofu.rc');
  });

  it('honours TOFU_BINARY, OPA_BINARY and TOFU_CLI_CONFIG', () => {
    const env = {
      ...tools,
      TOFU_BINARY: 'terraform',
      OPA_BINARY: '/usr/bin/opa',
      TOFU_CLI_CONFIG: 'custom.rc',
    };
    assert.equal(tofuBinary(env), 'terraform');
    assert.equal(opaBinary(env), '/usr/bin/opa');
    assert.equal(tofuCliConfigFile(env), path.resolve('custom.rc'));
    // A bare name is left to PATH lookup when spawned.
    assert.equal(requireTofu(env), 'terraform');
  });

  it('names the setup step when the pinned binary is missing', () => {
    assert.throws(
      () => requireTofu(tools),
      /OpenTofu is not installed: run `npm run setup` \(or set TOFU_BINARY/,
    );
  });

  it('pins required_providers to the mirrored versions and rejects providers the mirror lacks', () => {
    assert.deepEqual(requiredProviders(['dharma', 'time']), {
      dharma: { source: 'dharma/dharma', version: '0.1.0' },
      time: { source: 'hashicorp/time', version: '0.14.2' },
    });
    assert.throws(() => requiredProviders(['aws']), /provider aws .*dharma, time/);
    assert.throws(() => requiredProviders(['postgresql']), /provider postgresql .*dharma, time/);
  });
});
