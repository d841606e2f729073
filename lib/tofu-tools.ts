import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { setting, toolsDir, type Env } from './config.js';
import { ToolMissing } from './errors.js';

/** Versions `npm run setup` builds from the Go module proxy (scripts/tools/). */
export const TOFU_VERSION = '1.12.6';
export const OPA_VERSION = '1.22.2';

export interface PinnedProvider {
  /** Registry namespace, e.g. `hashicorp`. */
  readonly namespace: string;
  /** Provider type, the local name used in `required_providers`, e.g. `time`. */
  readonly type: string;
  readonly version: string;
}

/**
 * Providers present in the local filesystem mirror. Generated configurations must pin exactly these
 * versions (`required_providers`), since `tofu init` has no network and sees nothing else. `dharma` is
 * our own provider (scripts/tools/terraform-provider-dharma): the module proxy serves no usable release
 * of the upstream random, null, local or postgresql providers.
 */
export const PINNED_PROVIDERS: readonly PinnedProvider[] = [
  { namespace: 'dharma', type: 'dharma', version: '0.1.0' },
  // v0.14.0 is not served by the module proxy; v0.14.2 is the release it has.
  { namespace: 'hashicorp', type: 'time', version: '0.14.2' },
];

/** Hostnames the mirror answers for: OpenTofu's registry, and Terraform's for a `terraform` binary. */
export const MIRROR_HOSTS = ['registry.opentofu.org', 'registry.terraform.io'] as const;

export function pinnedProvider(type: string): PinnedProvider {
  const found = PINNED_PROVIDERS.find((p) => p.type === type);
  if (!found) {
    throw new ToolMissing(
      `provider ${type}`,
      `use one of the mirrored providers: ${PINNED_PROVIDERS.map((p) => p.type).join(', ')}`,
    );
  }
  return found;
}

/** `required_providers` entries for a generated `*.tf.json`, pinned to the mirrored versions. */
export function requiredProviders(
  types: readonly string[],
): Record<string, { source: string; version: string }> {
  return Object.fromEntries(
    types.map((type) => {
      const p = pinnedProvider(type);
      return [type, { source: `${p.namespace}/${p.type}`, version: p.version }];
    }),
  );
}

export function toolsBinDir(env: Env = process.env): string {
  return path.join(toolsDir(env), 'bin');
}

export function providerMirrorDir(env: Env = process.env): string {
  return path.join(toolsDir(env), 'tofu-mirror');
}

export function tofuCliConfigFile(env: Env = process.env): string {
  return path.resolve(setting('TOFU_CLI_CONFIG', env) || path.join(toolsDir(env), 'tofu.rc'));
}

export function tofuBinary(env: Env = process.env): string {
  return setting('TOFU_BINARY', env) || path.join(toolsBinDir(env), 'tofu');
}

export function opaBinary(env: Env = process.env): string {
  return setting('OPA_BINARY', env) || path.join(toolsBinDir(env), 'opa');
}

/** Environment for every tofu process: the mirror-only CLI config, and no update checks or telemetry. */
export function tofuEnv(env: Env = process.env): Record<string, string> {
  return {
    TF_CLI_CONFIG_FILE: tofuCliConfigFile(env),
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
}

function requireExecutable(file: string, name: string, override: string): string {
  // A bare name (e.g. TOFU_BINARY=terraform) is resolved by the OS through PATH when spawned.
  if (!file.includes(path.sep)) return file;
  try {
    accessSync(file, constants.X_OK);
    return file;
  } catch {
    throw new ToolMissing(name, `run \`npm run setup\` (or set ${override} to a binary)`);
  }
}

export function requireTofu(env: Env = process.env): string {
  return requireExecutable(tofuBinary(env), 'OpenTofu', 'TOFU_BINARY');
}

export function requireOpa(env: Env = process.env): string {
  return requireExecutable(opaBinary(env), 'OPA', 'OPA_BINARY');
}
