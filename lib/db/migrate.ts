import path from 'node:path';
import { runner } from 'node-pg-migrate';
import { packageRoot } from '../package-root.js';

export interface MigrateLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const MIGRATIONS_TABLE = 'dharma_migrations';

/** The SQL migrations are read from the source tree, also by compiled code (tsc does not copy .sql). */
export function migrationsDir(): string {
  return path.join(packageRoot(), 'lib', 'db', 'migrations');
}

const quiet: MigrateLog = { info: () => undefined, warn: console.warn, error: console.error };

/**
 * Applies every pending migration in one transaction. Several processes may start at once (`dharma up`
 * runs pools in parallel, production scales them out): node-pg-migrate's advisory lock in `wait` mode
 * serialises them, and the later ones find nothing left to do.
 */
export async function migrate(url: string, log: MigrateLog = quiet): Promise<void> {
  await runner({
    databaseUrl: url,
    dir: migrationsDir(),
    migrationsTable: MIGRATIONS_TABLE,
    direction: 'up',
    singleTransaction: true,
    advisoryLockMode: 'wait',
    logger: { info: (m) => log.info(m), warn: (m) => log.warn(m), error: (m) => log.error(m) },
  });
}
