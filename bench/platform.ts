import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { migrate } from '../lib/db/migrate.js';
import { stopChild } from '../lib/embedded/temporal-dev-server.js';
import { freePort } from '../lib/net.js';
import { packageRoot } from '../lib/package-root.js';
import { taskQueueFor, type PoolName } from '../lib/pools.js';
import { bundleWorkflows } from '../scripts/bundle-workflows.js';
import { startServices, type StartedServices } from '../test/harness/services.js';
import { usablePrebundle } from '../workers/workflow-code.js';
import { spawnDharma, waitFor, type DharmaProcess } from './processes.js';

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = proto.temporal.api.enums.v1.TaskQueueType;

/** Steps run in reverse at the end, whatever happened. */
export type Cleanups = Array<() => Promise<void>>;

export interface BenchPlatform {
  services: StartedServices;
  /** Settings every Dharma process of the run gets: the services, a scratch home, a unique prefix. */
  env: Record<string, string>;
  prefix: string;
  /** A Temporal client of the benchmark's own, shared with no Dharma process. */
  client: Client;
  connection: Connection;
}

/**
 * A real Temporal dev server and PostgreSQL (the test harness's, on free ports), migrated, with a
 * scratch DHARMA_HOME and a queue prefix of this run. Everything is registered in `cleanups`.
 */
export async function startBenchPlatform(cleanups: Cleanups): Promise<BenchPlatform> {
  const services = await startServices();
  cleanups.push(() => services.stop());
  const home = await mkdtemp(path.join(tmpdir(), 'dharma-bench-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  await migrate(services.databaseUrl);
  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const connection = await Connection.connect({ address: services.temporalAddress });
  cleanups.push(() => connection.close());
  return {
    services,
    prefix,
    connection,
    client: new Client({ connection, namespace: services.namespace }),
    env: {
      TEMPORAL_ADDRESS: services.temporalAddress,
      TEMPORAL_NAMESPACE: services.namespace,
      DATABASE_URL: services.databaseUrl,
      DHARMA_HOME: home,
      DHARMA_TASK_QUEUE_PREFIX: prefix,
      // The API trusts the scratch home's dev key: webhooks need none, other routes a minted token.
      AUTH_DEV_KEY: 'true',
      METRICS_PORT: '0',
      LOG_FORMAT: 'json',
    },
  };
}

/** `dharma api` in its own process on a free port, once /readyz answers. */
export async function spawnApi(
  platform: BenchPlatform,
  env: Record<string, string>,
  cleanups: Cleanups,
): Promise<{ proc: DharmaProcess; url: string }> {
  const port = await freePort();
  const proc = spawnDharma('API', ['api'], {
    ...platform.env,
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    ...env,
  });
  cleanups.push(() => stopChild(proc.child));
  const url = `http://127.0.0.1:${port}`;
  await waitFor('the API answered /readyz', proc, async () => (await fetch(`${url}/readyz`)).ok);
  return { proc, url };
}

/**
 * `dharma worker --pool <pools>` in its own process, once each of its queues has a poller. The workflow
 * code is prebundled first when sources changed since the last build, so the worker loads it as `npm start`
 * does: bundling at start would run webpack in the worker and put its peak into the memory measured.
 */
export async function spawnWorker(
  platform: BenchPlatform,
  pools: PoolName[],
  env: Record<string, string>,
  cleanups: Cleanups,
): Promise<DharmaProcess> {
  if (pools.includes('orchestration') && !usablePrebundle()) {
    console.log(`workflow sources changed since the last build: prebundled into ${await bundleWorkflows()}`);
  }
  const proc = spawnDharma(`worker ${pools.join(',')}`, ['worker', '--pool', pools.join(',')], {
    ...platform.env,
    ...env,
  });
  cleanups.push(() => stopChild(proc.child));
  const polled = async (pool: PoolName) => {
    const described = await platform.connection.workflowService.describeTaskQueue({
      namespace: platform.services.namespace,
      taskQueue: { name: taskQueueFor(pool, platform.prefix) },
      taskQueueType: pool === 'orchestration' ? TASK_QUEUE_TYPE_WORKFLOW : TASK_QUEUE_TYPE_ACTIVITY,
    });
    return (described.pollers?.length ?? 0) > 0;
  };
  await waitFor(`${proc.label} polls its queues`, proc, async () =>
    (await Promise.all(pools.map(polled))).every(Boolean),
  );
  return proc;
}

/** bench/http-relay.ts in its own process on a free port, once it listens; its URL. */
export async function spawnRelay(platform: BenchPlatform, cleanups: Cleanups): Promise<string> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(packageRoot(), 'bench', 'http-relay.ts')],
    {
      cwd: packageRoot(),
      env: {
        ...process.env,
        ...platform.env,
        RELAY_TASK_QUEUE: taskQueueFor('orchestration', platform.prefix),
        RELAY_PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  cleanups.push(() => stopChild(child));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the reference relay exited with code ${code}`)));
  });
  return `http://127.0.0.1:${port}`;
}

/** Runs `bench` with the cleanups undone at the end or on Ctrl-C; exits with 1 when it failed. */
export async function runBench(bench: (cleanups: Cleanups) => Promise<void>): Promise<never> {
  const log = (message: string) => process.stderr.write(`${message}\n`);
  const cleanups: Cleanups = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const step of cleanups.reverse())
        await step().catch((error: unknown) => log(`cleanup: ${String(error)}`));
    })());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log(`${signal}: cleaning up...`);
      void cleanup().then(() => process.exit(130));
    });
  }
  let code = 0;
  try {
    await bench(cleanups);
  } catch (error) {
    log(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
    code = 1;
  } finally {
    await cleanup();
  }
  process.exit(code);
}
