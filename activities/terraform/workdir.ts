import { createHash } from 'node:crypto';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActivityDeps } from '../deps.js';
import { ArtifactCorrupt, getArtifactText } from '../../lib/artifacts/store.js';
import { setting } from '../../lib/config.js';
import { writeSynthesis } from '../../lib/iac/synthesize.js';
import { requireTofu, tofuEnv } from '../../lib/tofu-tools.js';
import {
  runTofu,
  tofuProcessEnv,
  type TofuCommand,
  type TofuResult,
  type TofuRunOptions,
} from '../../lib/tofu/runner.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import type { PreparedWorkspace } from './contract.js';
import { initializedDir, LOCK_FILE, sharedConfig, type InitializedDir } from './shared-init.js';
import { plainLease, type ProviderLease } from './warm-providers.js';

/**
 * How long plan/apply wait for another tofu holding the stack's state lock (pg advisory lock) before
 * failing with a (retryable) lock error.
 */
export const STATE_LOCK_TIMEOUT = '60s';

export interface Workdir {
  dir: string;
  /** The schema of the stack's state in the pg backend (from the configuration). */
  stateSchema: string;
  run(
    command: TofuCommand,
    args: readonly string[],
    options?: Pick<TofuRunOptions, 'onLine' | 'okExitCodes' | 'signal'>,
  ): Promise<TofuResult>;
}

export class StateBackendUnconfigured extends Error {
  constructor() {
    super('the worker has no PostgreSQL connection string for the state backend (DATABASE_URL)');
  }
}

/**
 * The connection the pg backend uses: the worker's own database (deps.db), passed as PG_CONN_STR.
 * Go's lib/pq requires TLS unless told otherwise while node-postgres only uses it when asked, so a URL
 * without sslmode gets `sslmode=disable`: tofu connects the way the worker itself does.
 */
export function stateConnString(deps: ActivityDeps): string {
  const url = deps.db.options.connectionString || setting('DATABASE_URL', deps.env);
  if (!url) throw new StateBackendUnconfigured();
  if (/[?&]sslmode=/.test(url)) return url;
  return `${url}${url.includes('?') ? '&' : '?'}sslmode=disable`;
}

/**
 * The PostgreSQL server local blueprints manage (Dharma's provider falls back to the PG* variables):
 * TARGET_POSTGRES_URL, or else the worker's own server. Variables already set on the worker win, so an
 * operator can point the provider elsewhere without a setting.
 */
export function targetPostgresEnv(deps: ActivityDeps): Record<string, string> {
  const url = new URL(setting('TARGET_POSTGRES_URL', deps.env) || stateConnString(deps));
  const target: Record<string, string> = {
    PGHOST: url.hostname,
    PGPORT: url.port || '5432',
    PGUSER: decodeURIComponent(url.username),
    PGPASSWORD: decodeURIComponent(url.password),
    PGDATABASE: decodeURIComponent(url.pathname.slice(1)) || 'postgres',
    PGSSLMODE: url.searchParams.get('sslmode') ?? 'disable',
  };
  return Object.fromEntries(
    Object.entries(target).filter(([key, value]) => value !== '' && !process.env[key]),
  );
}

/** Hash of configuration files, computed as synthesis computes it (lib/iac/synthesize.ts). */
export function configFilesHash(files: Record<string, string>): string {
  return `sha256:${createHash('sha256').update(canonicalJson(files)).digest('hex')}`;
}

/**
 * Materializes the workspace's configuration (from its artifact) in a fresh temp directory on this
 * worker, gives `work` the directory and removes it afterwards. Any worker of the pool can do this:
 * nothing lives on a worker between steps. `tofu init` (providers from the filesystem mirror only) runs
 * once per provider set on a host, not per run: see shared-init.ts.
 */
export async function withWorkdir<T>(
  deps: ActivityDeps,
  workspace: PreparedWorkspace,
  init: Pick<TofuRunOptions, 'onLine' | 'signal'>,
  work: (workdir: Workdir) => Promise<T>,
): Promise<T> {
  const files = JSON.parse(await getArtifactText(deps.db, workspace.configRef)) as Record<string, string>;
  if (configFilesHash(files) !== workspace.configHash) throw new ArtifactCorrupt(workspace.configRef);
  const config = sharedConfig(files, workspace.configRef);
  const binary = requireTofu(deps.env);
  const env = tofuProcessEnv(tofuEnv(deps.env), targetPostgresEnv(deps), {
    PG_CONN_STR: stateConnString(deps),
    PG_SCHEMA_NAME: config.schemaName,
  });
  const initialized = await initializedDir(config.terraformBlock, { binary, env, ...init });
  const lease = await workdirLease(deps, initialized, env);
  const dir = lease.dir;
  const runEnv = { ...env, TF_DATA_DIR: initialized.dataDir, ...lease.env };
  try {
    await writeSynthesis(dir, { files: config.files });
    if (initialized.lockFile) await copyFile(initialized.lockFile, path.join(dir, LOCK_FILE));
    return await work({
      dir,
      stateSchema: config.schemaName,
      run: (command, args, options = {}) =>
        runTofu(command, args, { binary, cwd: dir, env: runEnv, ...options }),
    });
  } finally {
    await lease.release();
  }
}

/**
 * The run's directory, with provider servers started in it when the worker keeps them (see
 * warm-providers.ts). They get tofu's environment except the stack's state schema, which only the
 * backend reads, so that runs of every stack share the ready ones.
 */
function workdirLease(
  deps: ActivityDeps,
  { dataDir, packages }: InitializedDir,
  env: Record<string, string>,
): Promise<ProviderLease> {
  if (deps.providers) {
    const { PG_SCHEMA_NAME: _schema, ...providerEnv } = env;
    return deps.providers.lease({ dataDir, env: providerEnv, packages });
  }
  return plainLease();
}
