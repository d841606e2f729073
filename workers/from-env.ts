import { setting, type Env } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import type { PoolName } from '../lib/pools.js';
import { configuredTemporal } from '../lib/temporal/connection.js';
import { runPools } from './run-pool.js';

/**
 * Runs pools against the services named by TEMPORAL_ADDRESS and DATABASE_URL: the production entry of
 * a pool process (`node dist/workers/<pool>.js`). `dharma up` passes both to the worker it supervises.
 */
export async function runPoolsFromEnv(pools: readonly PoolName[], env: Env = process.env): Promise<void> {
  const temporal = configuredTemporal(env);
  if (!temporal) throw new ConfigError('TEMPORAL_ADDRESS', 'host:port of the Temporal frontend', '');
  const databaseUrl = setting('DATABASE_URL', env);
  if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'a postgres:// connection string', '');
  await runPools(pools, { temporal, databaseUrl, env });
}

/** Entry point of a `workers/<pool>.ts` file: errors are one line, not a stack trace. */
export function runPoolEntry(pool: PoolName): void {
  runPoolsFromEnv([pool]).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`worker ${pool}: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
