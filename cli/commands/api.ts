import type { Command } from 'commander';
import { setting } from '../../lib/config.js';
import { ConfigError } from '../../lib/errors.js';
import { examples } from '../output.js';
import { untilSignal } from '../signals.js';

/** The API process: external (or `dharma up`'s) Temporal and PostgreSQL, auth from the environment. */
async function runApi(): Promise<void> {
  // Loaded on use: Fastify, the Temporal client and pg are not needed by the CLI's other commands.
  const [
    { startApiServer },
    { loadAuthConfig },
    { createDbPool },
    { createLogger },
    { configuredTemporal, connectClient },
  ] = await Promise.all([
    import('../../api/server.js'),
    import('../../lib/auth/config.js'),
    import('../../lib/db/pool.js'),
    import('../../lib/logger.js'),
    import('../../lib/temporal/connection.js'),
  ]);
  const target = configuredTemporal();
  if (!target)
    throw new ConfigError('TEMPORAL_ADDRESS', 'host:port of Temporal (`dharma up` sets it for its API)', '');
  const databaseUrl = setting('DATABASE_URL');
  if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'a PostgreSQL connection string', '');
  const logger = createLogger('api');
  const auth = await loadAuthConfig();
  const temporal = await connectClient(target);
  const db = createDbPool(databaseUrl);
  try {
    const server = await startApiServer({ temporal, db, auth, logger });
    logger.info({ url: server.url }, `API listening on ${server.url} (docs ${server.url}/docs)`);
    const signal = await untilSignal();
    logger.info({ signal }, 'stopping API');
    await server.close();
  } finally {
    await Promise.allSettled([db.end(), temporal.connection.close()]);
  }
}

export function registerApi(program: Command): void {
  program
    .command('api')
    .summary('run the REST API server')
    .description(
      'Run the REST API server on API_HOST:API_PORT against TEMPORAL_ADDRESS and DATABASE_URL until SIGINT/SIGTERM',
    )
    .addHelpText(
      'after',
      examples(
        'TEMPORAL_ADDRESS=temporal:7233 DATABASE_URL=postgres://... AUTH_JWKS_URL=https://idp/jwks dharma api',
      ),
    )
    .action(runApi);
}
