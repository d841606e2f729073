import path from 'node:path';
import pg from 'pg';
import { dharmaHome, intSetting, setting, type Env } from '../config.js';
import { startEmbeddedPostgres, stopStalePostgres } from '../embedded/postgres.js';
import { startTemporalDevServer, stopStaleDevServer } from '../embedded/temporal-dev-server.js';
import { DharmaError, ServiceUnreachable } from '../errors.js';
import type { Logger } from '../logger.js';
import { canConnect } from '../net.js';
import { configuredTemporal, connectClient, type TemporalTarget } from '../temporal/connection.js';
import { requireTemporalCli } from '../tools.js';
import { redactUrl } from './redact.js';

export interface TemporalService {
  target: TemporalTarget;
  embedded: boolean;
  uiUrl?: string;
  stop(): Promise<void>;
  /** Asks an embedded server to stop without waiting for it (a forced exit); nothing for an external one. */
  signalStop(): void;
}

export interface DatabaseService {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
  signalStop(): void;
}

const noop = () => Promise.resolve();
const nothing = () => undefined;

/** The embedded servers must get their own port: connecting to whatever already listens there would be wrong. */
async function ensurePortFree(port: number, variable: string, alternative: string): Promise<void> {
  if (await canConnect('127.0.0.1', port, 500)) {
    throw new DharmaError(
      `port ${port} is already in use (${variable}); stop what listens there, set ${variable} to a free port, ` +
        `or set ${alternative} to use an external server`,
    );
  }
}

/** The configured Temporal (checked reachable, namespace present) or the embedded dev server. */
export async function startTemporal(env: Env, logger: Logger): Promise<TemporalService> {
  const configured = configuredTemporal(env);
  if (configured) {
    const client = await connectClient(configured, env);
    try {
      await client.workflowService.describeNamespace({ namespace: configured.namespace });
    } catch (error) {
      throw new ServiceUnreachable('Temporal namespace', 'TEMPORAL_NAMESPACE', configured.namespace, error);
    } finally {
      await client.connection.close();
    }
    const uiUrl = setting('TEMPORAL_UI_URL', env);
    return {
      target: configured,
      embedded: false,
      ...(uiUrl ? { uiUrl } : {}),
      stop: noop,
      signalStop: nothing,
    };
  }
  const port = intSetting('TEMPORAL_DEV_PORT', env);
  const uiPort = intSetting('TEMPORAL_UI_PORT', env);
  const dbFile = path.join(dharmaHome(env), 'temporal.sqlite');
  // A server left by a killed earlier start still holds the ports: stopped before they are checked.
  await stopStaleDevServer(dbFile, logger);
  await ensurePortFree(port, 'TEMPORAL_DEV_PORT', 'TEMPORAL_ADDRESS');
  await ensurePortFree(uiPort, 'TEMPORAL_UI_PORT', 'TEMPORAL_ADDRESS');
  const namespace = setting('TEMPORAL_NAMESPACE', env);
  const server = await startTemporalDevServer({
    cli: requireTemporalCli(env),
    dbFile,
    port,
    uiPort,
    namespace,
    logger,
  });
  return {
    target: { address: server.address, namespace, source: 'TEMPORAL_DEV_PORT' },
    embedded: true,
    uiUrl: setting('TEMPORAL_UI_URL', env) || server.uiUrl,
    stop: () => server.stop(),
    signalStop: () => server.signalStop(),
  };
}

/** The configured PostgreSQL (checked reachable) or the embedded one under DHARMA_HOME. */
export async function startDatabase(env: Env, logger: Logger): Promise<DatabaseService> {
  const url = setting('DATABASE_URL', env);
  if (url) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
    } catch (error) {
      throw new ServiceUnreachable('PostgreSQL', 'DATABASE_URL', redactUrl(url), error);
    } finally {
      await client.end().catch(() => undefined);
    }
    return { url, embedded: false, stop: noop, signalStop: nothing };
  }
  const port = intSetting('EMBEDDED_PG_PORT', env);
  const dataDir = path.join(dharmaHome(env), 'pg');
  await stopStalePostgres(dataDir, logger);
  await ensurePortFree(port, 'EMBEDDED_PG_PORT', 'DATABASE_URL');
  const server = await startEmbeddedPostgres({ dataDir, port, logger });
  return {
    url: server.url,
    embedded: true,
    stop: () => server.stop(),
    signalStop: () => server.signalStop(),
  };
}
