/**
 * `npm run bench`: latency and throughput of starting a workflow through `POST /v1/runs` compared with
 * `client.workflow.start` on the same Temporal, in one run, then the memory of Dharma's processes.
 * It starts its own Temporal dev server, PostgreSQL, API and workers, and stops them all at the end.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Command } from 'commander';
import { positiveInt } from '../cli/parse.js';
import { loadOrCreateDevKey, mintToken } from '../lib/auth/dev-key.js';
import { migrate } from '../lib/db/migrate.js';
import { stopChild } from '../lib/embedded/temporal-dev-server.js';
import { freePort } from '../lib/net.js';
import { POOLS, taskQueueFor, type PoolName } from '../lib/pools.js';
import { startServices } from '../test/harness/services.js';
import type { DoctorInput } from '../workflows/doctor/contract.js';
import { emptySample, runBatch, type Sample, type Starter } from './load.js';
import { cliCommand, memoryOf, spawnDharma, waitFor, type DharmaProcess } from './processes.js';
import { latencyReport, memoryReport } from './report.js';
import { summarize } from './stats.js';

interface BenchOptions {
  count: number;
  concurrency: number;
  warmup: number;
  batch: number;
  perPool?: boolean;
}

// A cheap real workflow: doctor pinging one pool is one activity round trip.
const WORKFLOW_TYPE = 'doctor';
const INPUT: DoctorInput = { pools: ['trust'] };

const { TASK_QUEUE_TYPE_WORKFLOW: TASK_QUEUE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY: TASK_QUEUE_ACTIVITY } =
  proto.temporal.api.enums.v1.TaskQueueType;

const log = (message: string) => process.stderr.write(`${message}\n`);

async function settle(client: Client, taskQueue: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { count } = await client.workflow.count(
      `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`,
    );
    if (count === 0) return;
    await sleep(500);
  }
  log(`some runs were still open after ${timeoutMs / 1000}s; measuring memory anyway`);
}

function failIfErrors(name: string, sample: Sample): void {
  if (sample.errors > 0)
    throw new Error(`${sample.errors} ${name} starts failed; first: ${sample.firstError ?? '?'}`);
}

async function bench(opts: BenchOptions, cleanups: Array<() => Promise<void>>): Promise<void> {
  const began = Date.now();
  log('starting Temporal dev server and PostgreSQL...');
  const services = await startServices();
  cleanups.push(() => services.stop());
  const home = await mkdtemp(path.join(tmpdir(), 'dharma-bench-'));
  cleanups.push(() => rm(home, { recursive: true, force: true }));
  await migrate(services.databaseUrl);

  const prefix = `bench-${randomUUID().slice(0, 8)}`;
  const apiPort = await freePort();
  const env: Record<string, string> = {
    TEMPORAL_ADDRESS: services.temporalAddress,
    TEMPORAL_NAMESPACE: services.namespace,
    DATABASE_URL: services.databaseUrl,
    DHARMA_HOME: home,
    DHARMA_TASK_QUEUE_PREFIX: prefix,
    AUTH_DEV_KEY: 'true',
    API_HOST: '127.0.0.1',
    API_PORT: String(apiPort),
    // The benchmark is one client sending thousands of requests; the per-IP limit would measure itself.
    RATE_LIMIT_PER_MINUTE: '100000000',
    METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
  };
  log(
    `starting the API and workers (${cliCommand().compiled ? 'compiled dist/' : 'sources via tsx: run `npm run build` to measure the compiled CLI'})...`,
  );
  const api = spawnDharma('api', ['api'], env);
  const layout: PoolName[][] = opts.perPool ? POOLS.map((pool) => [pool]) : [[...POOLS]];
  const workers = layout.map((pools) => ({
    pools,
    proc: spawnDharma(`worker ${pools.join(',')}`, ['worker', '--pool', pools.join(',')], env),
  }));
  const processes: DharmaProcess[] = [api, ...workers.map((w) => w.proc)];
  cleanups.push(() => Promise.all(processes.map((p) => stopChild(p.child))).then(() => undefined));

  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitFor('the API answered /readyz', api, async () => (await fetch(`${apiUrl}/readyz`)).ok);
  const connection = await Connection.connect({ address: services.temporalAddress });
  cleanups.push(() => connection.close());
  const client = new Client({ connection, namespace: services.namespace });
  const polled = async (pool: PoolName) => {
    const described = await connection.workflowService.describeTaskQueue({
      namespace: services.namespace,
      taskQueue: { name: taskQueueFor(pool, prefix) },
      taskQueueType: pool === 'orchestration' ? TASK_QUEUE_WORKFLOW : TASK_QUEUE_ACTIVITY,
    });
    return (described.pollers?.length ?? 0) > 0;
  };
  for (const { pools, proc } of workers) {
    await waitFor(`${proc.label} polls its queues`, proc, async () =>
      (await Promise.all(pools.map(polled))).every(Boolean),
    );
  }
  const taskQueue = taskQueueFor('orchestration', prefix);
  log(`platform ready in ${((Date.now() - began) / 1000).toFixed(1)}s`);

  const key = await loadOrCreateDevKey(home);
  const token = await mintToken({
    subject: 'bench',
    roles: ['operator'],
    ttlSeconds: 3600,
    key,
    issuer: 'dharma',
    audience: 'dharma-api',
  });
  const body = JSON.stringify({ workflowType: WORKFLOW_TYPE, input: INPUT });
  const viaApi: Starter = async () => {
    const response = await fetch(`${apiUrl}/v1/runs`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': randomUUID(),
      },
      body,
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  };
  const direct: Starter = async () => {
    await client.workflow.start(WORKFLOW_TYPE, {
      taskQueue,
      workflowId: `bench-direct-${randomUUID()}`,
      args: [INPUT],
    });
  };

  log(`warm-up: ${opts.warmup} starts each way...`);
  const warm = emptySample();
  await runBatch(viaApi, opts.warmup, opts.concurrency, warm);
  await runBatch(direct, opts.warmup, opts.concurrency, warm);
  failIfErrors('warm-up', warm);

  // Alternating batches, swapping which side goes first, so drift in server load hits both sides alike.
  const apiSample = emptySample();
  const directSample = emptySample();
  log(
    `measuring ${opts.count} starts each way, batches of ${opts.batch}, concurrency ${opts.concurrency}...`,
  );
  for (let done = 0, round = 0; done < opts.count; done += opts.batch, round += 1) {
    const size = Math.min(opts.batch, opts.count - done);
    const sides: Array<[Starter, Sample]> = [
      [viaApi, apiSample],
      [direct, directSample],
    ];
    for (const [start, sample] of round % 2 === 0 ? sides : sides.reverse()) {
      await runBatch(start, size, opts.concurrency, sample);
    }
  }
  failIfErrors('API', apiSample);
  failIfErrors('direct', directSample);

  console.log(
    `\nWorkflow start latency: ${WORKFLOW_TYPE} ${JSON.stringify(INPUT)}, ${opts.count} starts each way, concurrency ${opts.concurrency}`,
  );
  console.log(
    latencyReport(
      summarize(apiSample.latenciesMs, apiSample.errors, apiSample.busyMs),
      summarize(directSample.latenciesMs, directSample.errors, directSample.busyMs),
    ),
  );

  log('waiting for the started runs to finish before measuring memory...');
  await settle(client, taskQueue, 120_000);
  const memory = await Promise.all(
    processes.map(async (p) => ({
      label: p.label,
      pid: p.child.pid ?? 0,
      memory: await memoryOf(p.child.pid ?? 0),
    })),
  );
  console.log(
    `\nResident memory after the run (${cliCommand().compiled ? 'compiled' : 'from sources via tsx'})`,
  );
  console.log(memoryReport(memory));
}

const program = new Command('start-latency')
  .description(
    'Benchmark POST /v1/runs against client.workflow.start on an embedded stack it starts and stops',
  )
  .option('--count <n>', 'measured starts per side', positiveInt('--count'), 500)
  .option('--concurrency <n>', 'starts in flight per side', positiveInt('--concurrency'), 8)
  .option('--warmup <n>', 'unmeasured starts per side first', positiveInt('--warmup'), 50)
  .option('--batch <n>', 'starts per alternating batch', positiveInt('--batch'), 50)
  .option(
    '--per-pool',
    'one worker process per pool (memory per pool) instead of one for all pools as `dharma up` runs them',
  )
  .parse();

const cleanups: Array<() => Promise<void>> = [];
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
  await bench(program.opts<BenchOptions>(), cleanups);
} catch (error) {
  log(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
