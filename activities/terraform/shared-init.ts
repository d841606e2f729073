import { createHash, randomUUID } from 'node:crypto';
import { access, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ArtifactCorrupt } from '../../lib/artifacts/store.js';
import { onPath } from '../../lib/tools.js';
import { runTofu, type TofuRunOptions } from '../../lib/tofu/runner.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import { privateTempRoot } from './private-root.js';

const MAIN_FILE = 'main.tf.json';
export const LOCK_FILE = '.terraform.lock.hcl';
const DATA_DIR = 'data';
/** Written by `tofu init` into the data dir once the backend is initialized: its presence means ready. */
const BACKEND_STATE = 'terraform.tfstate';
/** Beside the data dir: what the provider packages it links to looked like when it was initialized. */
const PACKAGES_FINGERPRINT = 'packages.fingerprint';

/**
 * Initialized data dirs (TF_DATA_DIR), one per provider set, shared by the worker processes of a user on a
 * host like a plugin cache: nothing in them is secret (the providers are links into the mirror, the
 * backend state holds no connection) and nothing stack-specific, but tofu runs what they link to, so only
 * this user may write there.
 */
const CACHE_NAME = 'dharma-tofu-init';

/** A synthesized configuration split into what every stack with its providers shares and what is its own. */
export interface SharedConfig {
  /** The files as tofu sees them: the pg backend block keeps no schema_name. */
  files: Record<string, string>;
  /** The stack's state schema, given to tofu as PG_SCHEMA_NAME instead. */
  schemaName: string;
  /** The `terraform` block without the schema: equal for all stacks with the same providers. */
  terraformBlock: Record<string, unknown>;
}

interface MainFile {
  terraform?: { backend?: { pg?: { schema_name?: unknown } & Record<string, unknown> } };
  module?: unknown;
}

/**
 * Moves the stack-specific part of the configuration, the pg backend's schema_name, out of the files, so
 * that every stack with the same providers has the same backend configuration and one `tofu init` serves
 * them all. Saved plans then record the backend without a schema, which apply takes from PG_SCHEMA_NAME
 * again. Synthesis always writes this shape; anything else is not a configuration of ours.
 */
export function sharedConfig(files: Record<string, string>, configRef: string): SharedConfig {
  const text = files[MAIN_FILE];
  const main = text === undefined ? undefined : (JSON.parse(text) as MainFile);
  const pg = main?.terraform?.backend?.pg;
  if (!main?.terraform || !pg || typeof pg.schema_name !== 'string' || main.module !== undefined) {
    throw new ArtifactCorrupt(configRef);
  }
  const { schema_name: schemaName, ...backend } = pg;
  const terraformBlock = { ...main.terraform, backend: { pg: backend } };
  return {
    files: { ...files, [MAIN_FILE]: JSON.stringify({ ...main, terraform: terraformBlock }) },
    schemaName,
    terraformBlock,
  };
}

export interface InitializedDir {
  /** TF_DATA_DIR for tofu runs of this provider set. */
  dataDir: string;
  /** The dependency lock file `tofu init` wrote, for each workdir to copy; none without providers to install. */
  lockFile?: string;
  /** Fingerprint of the provider packages it links to, as they were at init. */
  packages: string;
}

const initializing = new Map<string, Promise<void>>();

/**
 * Size and modification time of every file of the provider packages the data dir links to (tofu links
 * packages from a filesystem mirror instead of copying them). The lock file holds their checksums, so a
 * package rebuilt in the mirror under the same version (a Dharma upgrade, `npm run setup` after an edit of
 * the provider) makes every later command fail on a checksum mismatch until tofu init runs again.
 */
async function packagesFingerprint(dataDir: string): Promise<string> {
  const root = path.join(dataDir, 'providers');
  const seen: string[] = [];
  const walk = async (dir: string, linked: boolean): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      const throughLink = linked || entry.isSymbolicLink();
      const info = await stat(full).catch(() => undefined);
      if (!info) seen.push(`${path.relative(root, full)} missing`);
      else if (info.isDirectory()) await walk(full, throughLink);
      else if (throughLink) seen.push(`${path.relative(root, full)} ${info.size} ${info.mtimeMs}`);
    }
  };
  await walk(root, false);
  return createHash('sha256').update(seen.sort().join('\n')).digest('hex');
}

/** Ready when initialized and the packages it links to are still the ones it was initialized with. */
async function ready(dir: string): Promise<boolean> {
  const dataDir = path.join(dir, DATA_DIR);
  if (!(await exists(path.join(dataDir, BACKEND_STATE)))) return false;
  const recorded = await readFile(path.join(dir, PACKAGES_FINGERPRINT), 'utf8').catch(() => undefined);
  return recorded === (await packagesFingerprint(dataDir));
}

/**
 * Moves an out-of-date directory out of the way so it can be made again. Another process may have
 * replaced it meanwhile: only a directory still out of date is moved.
 */
async function retire(dir: string): Promise<void> {
  if (!(await exists(dir)) || (await ready(dir))) return;
  const retired = `${dir}.retired.${process.pid}.${randomUUID().slice(0, 8)}`;
  await rename(dir, retired).catch(() => undefined);
  await rm(retired, { recursive: true, force: true });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}

/**
 * Runs `tofu init` in a scratch directory and moves the result into place at once, so another process
 * never sees half an initialization; when another one got there first, its copy is as good as ours.
 */
async function initialize(dir: string, terraformBlock: unknown, init: TofuRunOptions): Promise<void> {
  const scratch = `${dir}.${process.pid}.${randomUUID().slice(0, 8)}`;
  await mkdir(scratch, { recursive: true });
  try {
    await writeFile(path.join(scratch, MAIN_FILE), JSON.stringify({ terraform: terraformBlock }));
    await runTofu('init', [], {
      ...init,
      cwd: scratch,
      env: { ...init.env, TF_DATA_DIR: path.join(scratch, DATA_DIR) },
    });
    const fingerprint = await packagesFingerprint(path.join(scratch, DATA_DIR));
    await writeFile(path.join(scratch, PACKAGES_FINGERPRINT), fingerprint);
    await retire(dir);
    await rename(scratch, dir).catch(async (error: unknown) => {
      if (!(await ready(dir))) throw error;
    });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The initialized data dir for this provider set, running `tofu init` only the first time on this host
 * (providers from the filesystem mirror, as configured by the CLI config), and again when a provider
 * package changed in the mirror. `init.env` must reach the state backend: init connects to it.
 */
export async function initializedDir(
  terraformBlock: Record<string, unknown>,
  init: Pick<TofuRunOptions, 'binary' | 'env' | 'onLine' | 'signal'>,
): Promise<InitializedDir> {
  // A rebuilt tofu (setup after an upgrade) or an edited CLI config (another mirror) initializes dirs of
  // its own: size and mtime tell builds apart.
  const resolved = init.binary.includes(path.sep) ? init.binary : onPath(init.binary, init.env);
  const built = resolved ? await stat(resolved).catch(() => undefined) : undefined;
  const cliConfig = init.env.TF_CLI_CONFIG_FILE ?? '';
  const key = createHash('sha256')
    .update(
      canonicalJson({
        binary: init.binary,
        build: built ? `${built.size} ${built.mtimeMs}` : '',
        cliConfig,
        cliConfigText: cliConfig ? await readFile(cliConfig, 'utf8').catch(() => '') : '',
        terraform: terraformBlock,
      }),
    )
    .digest('hex')
    .slice(0, 32);
  const dir = path.join(await privateTempRoot(CACHE_NAME), key);
  const dataDir = path.join(dir, DATA_DIR);
  // Checked on every use: a temp-directory cleaner may have removed it since, or setup rebuilt a provider.
  if (!(await ready(dir))) {
    let pending = initializing.get(key);
    if (!pending) {
      pending = initialize(dir, terraformBlock, { ...init, cwd: dir }).finally(() =>
        initializing.delete(key),
      );
      initializing.set(key, pending);
    }
    await pending;
  }
  const lockFile = path.join(dir, LOCK_FILE);
  const packages = await readFile(path.join(dir, PACKAGES_FINGERPRINT), 'utf8');
  return { dataDir, packages, ...((await exists(lockFile)) ? { lockFile } : {}) };
}
