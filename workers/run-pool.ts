import { hostname } from 'node:os';
import { NativeConnection, Runtime, Worker, type WorkerOptions } from '@temporalio/worker';
import type { ActivityDeps } from '../activities/deps.js';
import { durationSetting, intSetting, setting, type Env, type SettingName } from '../lib/config.js';
import { createDbPool } from '../lib/db/pool.js';
import { ServiceUnreachable } from '../lib/errors.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { redactUrl } from '../lib/platform/redact.js';
import { taskQueueFor, type PoolName } from '../lib/pools.js';
import { connectClient, connectNative, type TemporalTarget } from '../lib/temporal/connection.js';
import { WarmProviders } from '../activities/terraform/warm-providers.js';
import { activitiesForPool } from './activities-for-pool.js';
import { temporalLogger } from './temporal-logger.js';
import { workflowCodeOptions } from './workflow-code.js';

export interface RunPoolsOptions {
  temporal: TemporalTarget;
  databaseUrl: string;
  /** Task queue prefix; default DHARMA_TASK_QUEUE_PREFIX. */
  prefix?: string;
  /** Aborting it drains the workers like SIGTERM does. */
  signal?: AbortSignal;
  logger?: Logger;
  env?: Env;
  /** Prometheus port of this process; default METRICS_PORT, 0 disables. */
  metricsPort?: number;
  /** Drain on SIGINT/SIGTERM, force exit on the second one (default true). */
  handleSignals?: boolean;
}

const CONCURRENCY: Record<PoolName, SettingName> = {
  orchestration: 'WORKER_ORCHESTRATION_CONCURRENCY',
  terraform: 'WORKER_TERRAFORM_CONCURRENCY',
  cloud: 'WORKER_CLOUD_CONCURRENCY',
  trust: 'WORKER_TRUST_CONCURRENCY',
  ml: 'WORKER_ML_CONCURRENCY',
};

/** Exit code of a worker process stopped by a second signal before it finished draining. */
const FORCED_EXIT = 130;

/**
 * The runtime is a process-wide singleton and must be configured before the first connection. A second
 * `runPools` in the same process (tests) keeps the first configuration.
 */
function installRuntime(logger: Logger, metricsPort: number, env: Env): void {
  try {
    Runtime.install({
      logger: temporalLogger(logger),
      // We handle signals ourselves: the first drains, the second forces exit.
      shutdownSignals: [],
      telemetryOptions: {
        logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } },
        ...(metricsPort > 0
          ? { metrics: { prometheus: { bindAddress: `${setting('METRICS_HOST', env)}:${metricsPort}` } } }
          : {}),
      },
    });
    if (metricsPort > 0) logger.info({ metricsPort }, 'Prometheus metrics enabled');
  } catch (error) {
    logger.debug({ err: error }, 'Temporal runtime already installed in this process; keeping its settings');
  }
}

async function workerOptions(
  pool: PoolName,
  prefix: string,
  deps: ActivityDeps,
  env: Env,
): Promise<WorkerOptions> {
  const concurrency = intSetting(CONCURRENCY[pool], env);
  const base = {
    taskQueue: taskQueueFor(pool, prefix),
    identity: `${pool}@${hostname()}:${process.pid}`,
    activities: activitiesForPool(pool, deps),
    maxConcurrentActivityTaskExecutions: concurrency,
    shutdownGraceTime: durationSetting('WORKER_SHUTDOWN_GRACE', env),
  };
  if (pool !== 'orchestration') return base;
  return {
    ...base,
    ...(await workflowCodeOptions(deps.logger)),
    maxConcurrentWorkflowTaskExecutions: concurrency,
    // Bounded: evicted workflows replay from history when their next task comes, trading CPU for memory.
    maxCachedWorkflows: intSetting('WORKER_MAX_CACHED_WORKFLOWS', env),
  };
}

function warmProviders(env: Env, logger: Logger): WarmProviders | undefined {
  const stock = intSetting('TOFU_WARM_PROVIDERS', env);
  if (stock === 0) return undefined;
  return new WarmProviders({ stock, idleMs: durationSetting('TOFU_WARM_PROVIDERS_IDLE', env), logger });
}

/**
 * Runs one Temporal worker per pool in this process, sharing one connection and runtime, until a signal
 * (or `opts.signal`) drains them. Resolves when every worker has stopped; rejects if one fails, after
 * draining the others.
 */
export async function runPools(pools: readonly PoolName[], opts: RunPoolsOptions): Promise<void> {
  const env = opts.env ?? process.env;
  const prefix = opts.prefix ?? setting('DHARMA_TASK_QUEUE_PREFIX', env);
  const logger = opts.logger ?? createLogger('dharma-worker', { pools });
  installRuntime(logger, opts.metricsPort ?? intSetting('METRICS_PORT', env), env);

  const db = createDbPool(opts.databaseUrl, undefined, env);
  const resources: Array<() => Promise<void>> = [() => db.end()];
  const release = async () => {
    for (const close of resources.reverse()) await close().catch(() => undefined);
  };
  let workers: Worker[];
  try {
    await db.query('SELECT 1').catch((error: unknown) => {
      throw new ServiceUnreachable('PostgreSQL', 'DATABASE_URL', redactUrl(opts.databaseUrl), error);
    });
    const client = await connectClient(opts.temporal, env);
    resources.push(() => client.connection.close());
    const connection: NativeConnection = await connectNative(opts.temporal, env);
    resources.push(() => connection.close());
    const deps: ActivityDeps = { db, temporal: client, logger, env };
    const providers = pools.includes('terraform') ? warmProviders(env, logger) : undefined;
    if (providers) resources.push(() => providers.close());
    workers = [];
    for (const pool of pools) {
      const poolDeps = {
        ...deps,
        logger: logger.child({ pool }),
        ...(pool === 'terraform' && providers ? { providers } : {}),
      };
      const options = await workerOptions(pool, prefix, poolDeps, env);
      workers.push(await Worker.create({ connection, namespace: opts.temporal.namespace, ...options }));
    }
  } catch (error) {
    await release();
    throw error;
  }

  const drain = (reason: string) => {
    logger.info({ reason }, 'draining workers: in-flight activities get WORKER_SHUTDOWN_GRACE to finish');
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) return drain(signal);
    logger.warn({ signal }, 'second signal: exiting without waiting for in-flight activities');
    process.exit(FORCED_EXIT);
  };
  const handleSignals = opts.handleSignals ?? true;
  if (handleSignals) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  const onAbort = () => drain('aborted');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort);

  logger.info(
    { prefix, namespace: opts.temporal.namespace, address: opts.temporal.address },
    'workers running',
  );
  try {
    const runs = workers.map((worker) =>
      worker.run().catch((error: unknown) => {
        drain('a worker failed');
        throw error;
      }),
    );
    const results = await Promise.allSettled(runs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    logger.info({ pools }, 'workers stopped');
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
    if (handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
    await release();
  }
}
