import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { Logger } from '../logger.js';
import { ensureNamespace } from '../temporal/namespace.js';
import { stopStaleServer } from './stale-process.js';

export interface DevServerOptions {
  cli: string;
  dbFile: string;
  port: number;
  uiPort: number;
  namespace: string;
  logger?: Logger;
  startupTimeoutMs?: number;
}

export interface RunningDevServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
  /** Asks it to stop and returns at once (a forced exit cannot wait; it stops on its own). */
  signalStop(): void;
}

/** Stops a child: SIGTERM, then SIGKILL after a grace period. Resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** Stops a dev server on this SQLite file left running by an earlier start that was killed. */
export async function stopStaleDevServer(dbFile: string, logger?: Logger): Promise<void> {
  const pidFile = `${dbFile}.pid`;
  if (await stopStaleServer(pidFile, 'start-dev', 'SIGTERM')) {
    logger?.warn({ pidFile }, 'stopped a Temporal dev server left running by an earlier start');
  }
}

/**
 * Starts the Temporal CLI dev server with a persistent SQLite file and waits until it answers and the
 * namespace is ready. We start it ourselves rather than through @temporalio/testing because its fixed
 * start-up wait is too short on small machines.
 */
export async function startTemporalDevServer(opts: DevServerOptions): Promise<RunningDevServer> {
  await mkdir(path.dirname(opts.dbFile), { recursive: true });
  const pidFile = `${opts.dbFile}.pid`;
  await stopStaleDevServer(opts.dbFile, opts.logger);
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(opts.port),
    '--ui-port',
    String(opts.uiPort),
    '--db-filename',
    opts.dbFile,
    '--namespace',
    opts.namespace,
    '--log-level',
    'warn',
    // Write-ahead log, synced at checkpoints: a crash of any process loses nothing and a power cut at worst
    // the last transactions, never the file; SQLite's default (rollback journal, a sync per commit) made
    // every workflow start and signal wait for the disk.
    ...['journal_mode=WAL', 'synchronous=NORMAL'].flatMap((pragma) => ['--sqlite-pragma', pragma]),
  ];
  // Own process group: a terminal's Ctrl-C reaches only the supervisor, which stops the server after the
  // workers have drained, not at the same moment.
  const child = spawn(opts.cli, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  if (child.pid !== undefined) await writeFile(pidFile, `${child.pid}\n`);
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    opts.logger?.debug({ component: 'temporal' }, chunk.toString().trim());
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + (opts.startupTimeoutMs ?? 60_000);
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`Temporal dev server exited with code ${child.exitCode}: ${output.trim()}`);
    }
    try {
      const connection = await Connection.connect({ address, connectTimeout: '1s' });
      try {
        await ensureNamespace(connection, opts.namespace);
      } finally {
        await connection.close();
      }
      return {
        address,
        uiUrl: `http://127.0.0.1:${opts.uiPort}`,
        process: child,
        stop: async () => {
          await stopChild(child);
          await rm(pidFile, { force: true });
        },
        signalStop: () => void child.kill('SIGTERM'),
      };
    } catch (error) {
      lastError = error;
      await sleep(250);
    }
  }
  await stopChild(child);
  throw new Error(
    `Temporal dev server did not become ready on ${address}: ${lastError instanceof Error ? lastError.message : String(lastError)}\n${output.trim()}`,
  );
}
