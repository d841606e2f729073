/**
 * `npm run bench`: latency and throughput of starting a workflow through `POST /v1/runs` compared with
 * `client.workflow.start` on the same Temporal, in one run, then the memory of Dharma's processes.
 * It starts its own Temporal dev server, PostgreSQL, API and workers, and stops them all at the end.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { Command } from 'commander';
import { positiveInt } from '../cli/parse.js';
import { loadOrCreateDevKey, mintToken } from '../lib/auth/dev-key.js';
import { POOLS, taskQueueFor, type PoolName } from '../lib/pools.js';
import type { DoctorInput } from '../workflows/doctor/contract.js';
import { emptySample, runBatch, type Sample, type Starter } from './load.js';
import { cliCommand, memoryOf, type DharmaProcess } from './processes.js';
import { latencyReport, memoryReport } from './report.js';
import { summarize } from './stats.js';
import { runBench, spawnApi, spawnWorker, startBenchPlatform } from './platform.js';

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
  const platform = await startBenchPlatform(cleanups);
  const { client, prefix } = platform;
  const home = platform.env.DHARMA_HOME!;
  const env = {
    // The benchmark is one client sending thousands of requests; the per-IP limit would measure itself.
    RATE_LIMIT_PER_MINUTE: '100000000',
    LOG_LEVEL: 'warn',
  };
  log(
    `starting the API and workers (${cliCommand().compiled ? 'compiled dist/' : 'sources via tsx: run `npm run build` to measure the compiled CLI'})...`,
  );
  const { proc: api, url: apiUrl } = await spawnApi(platform, env, cleanups);
  const layout: PoolName[][] = opts.perPool ? POOLS.map((pool) => [pool]) : [[...POOLS]];
  const workers: DharmaProcess[] = [];
  for (const pools of layout) workers.push(await spawnWorker(platform, pools, env, cleanups));
  const processes: DharmaProcess[] = [api, ...workers];
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

await runBench((cleanups) => bench(program.opts<BenchOptions>(), cleanups));
