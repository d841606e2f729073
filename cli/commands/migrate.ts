import type { Connection } from '@temporalio/client';
import type { Command } from 'commander';
import { setting, usesEmbeddedDatabase, usesEmbeddedTemporal } from '../../lib/config.js';
import { ServiceUnreachable } from '../../lib/errors.js';
import { examples } from '../output.js';

const EMBEDDED_NOTE = 'is embedded on these settings: `dharma up` creates and migrates it at every start';

async function migrateDatabase(url: string): Promise<void> {
  const { migrate } = await import('../../lib/db/migrate.js');
  try {
    await migrate(url, { info: () => undefined, warn: console.warn, error: console.error });
  } catch (error) {
    if (error instanceof Error && /ECONNREFUSED|ENOTFOUND|timeout/i.test(error.message)) {
      throw new ServiceUnreachable('PostgreSQL', 'DATABASE_URL', new URL(url).host, error);
    }
    throw error;
  }
  console.log('PostgreSQL: migrations applied');
}

async function prepareTemporal(): Promise<void> {
  const { configuredTemporal, connectClient } = await import('../../lib/temporal/connection.js');
  const { ensureNamespace } = await import('../../lib/temporal/namespace.js');
  const target = configuredTemporal();
  if (!target) return;
  // connectClient builds its Client on a full Connection; the Client type only promises ConnectionLike.
  const connection = (await connectClient(target)).connection as Connection;
  try {
    await ensureNamespace(connection, target.namespace);
  } finally {
    await connection.close();
  }
  console.log(
    `Temporal: namespace ${target.namespace} ready at ${target.address} (30-day retention, search attributes)`,
  );
}

export function registerMigrate(program: Command): void {
  program
    .command('migrate')
    .summary('apply PostgreSQL migrations and prepare the Temporal namespace (external services)')
    .description(
      'Apply PostgreSQL migrations (DATABASE_URL) and prepare the Temporal namespace (TEMPORAL_ADDRESS) of an external deployment',
    )
    .addHelpText(
      'after',
      examples(
        'DATABASE_URL=postgres://dharma:secret@db:5432/dharma TEMPORAL_ADDRESS=temporal:7233 dharma migrate',
      ),
    )
    .action(async () => {
      if (usesEmbeddedDatabase()) console.log(`PostgreSQL ${EMBEDDED_NOTE}`);
      else await migrateDatabase(setting('DATABASE_URL'));
      if (usesEmbeddedTemporal()) console.log(`Temporal ${EMBEDDED_NOTE}`);
      else await prepareTemporal();
    });
}
