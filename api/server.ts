import { pathToFileURL } from 'node:url';
import { intSetting, setting, type Env } from '../lib/config.js';
import { ConfigError } from '../lib/errors.js';
import { loadAuthConfig } from '../lib/auth/config.js';
import { createDbPool } from '../lib/db/pool.js';
import { createLogger } from '../lib/logger.js';
import { configuredTemporal, connectClient } from '../lib/temporal/connection.js';
import { buildApp, type ApiApp, type BuildAppOptions } from './app.js';

export interface ApiServer {
  app: ApiApp;
  /** Base URL it listens on, e.g. http://127.0.0.1:8080. */
  url: string;
  close(): Promise<void>;
}

/** Builds the app and listens on API_HOST:API_PORT (or the given host/port). `dharma up` uses this. */
export async function startApiServer(
  options: BuildAppOptions & { host?: string; port?: number },
): Promise<ApiServer> {
  const env = options.env ?? process.env;
  const app = await buildApp(options);
  const host = options.host ?? setting('API_HOST', env);
  const port = options.port ?? intSetting('API_PORT', env);
  await app.listen({ host, port });
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  return {
    app,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actualPort}`,
    close: () => app.close(),
  };
}

/** `node dist/api/server.js`: the API alone against external Temporal and PostgreSQL (production, Compose). */
async function main(env: Env = process.env): Promise<void> {
  const logger = createLogger('api');
  const temporalTarget = configuredTemporal(env);
  if (!temporalTarget)
    throw new ConfigError('TEMPORAL_ADDRESS', 'host:port of Temporal (the API alone does not embed it)', '');
  const databaseUrl = setting('DATABASE_URL', env);
  if (!databaseUrl) throw new ConfigError('DATABASE_URL', 'a PostgreSQL connection string', '');
  const temporal = await connectClient(temporalTarget, env);
  const db = createDbPool(databaseUrl, undefined, env);
  const server = await startApiServer({ temporal, db, auth: await loadAuthConfig(env), logger, env });
  logger.info({ url: server.url }, `API listening on ${server.url} (docs ${server.url}/docs)`);
  const stop = () => {
    logger.info('stopping API');
    server
      .close()
      .then(() => Promise.all([db.end(), temporal.connection.close()]))
      .then(() => process.exit(0))
      .catch((error: unknown) => {
        logger.error({ err: error }, 'API shutdown failed');
        process.exit(1);
      });
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  });
}
