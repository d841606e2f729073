/**
 * `npm run bench:alerts`: alert intake on the embedded stack (Temporal dev server, PostgreSQL), with the
 * API and the orchestration worker each in its own process as `dharma api` and `dharma worker` run them.
 * 1. Storm, on an idle worker: 10,000 notifications over 1,000 fingerprints: workflows created,
 *    notifications lost (incidents table and workflow state), wall time, peak RSS of the API and the worker.
 * 2. Ingestion: POST /v1/webhooks/alertmanager (one alert per request, until the 202 that follows
 *    Temporal's durable accept of the start or signal) against the very same signalWithStart made with
 *    @temporalio/client from this process; same concurrency, keep-alive connections on both, warm-up,
 *    alternating batches. Paced (open loop at a rate the stack sustains: latency), then saturated (closed
 *    loop: capacity). A bare node:http relay making the same call from its own process (bench/http-relay.ts)
 *    runs alongside as a yardstick: what one more process and an HTTP hop cost on this machine.
 * 3. Classifier and anomaly inference (bench/ml-inference.ts), once the API and worker are stopped.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { positiveInt } from '../cli/parse.js';
import { normalizeAlertmanager } from '../api/webhooks/alertmanager.js';
import { deliverAlert } from '../lib/alerts/deliver.js';
import { createDbPool } from '../lib/db/pool.js';
import { freePort } from '../lib/net.js';
import { packageRoot } from '../lib/package-root.js';
import { stopChild } from '../lib/embedded/temporal-dev-server.js';
import { taskQueueFor } from '../lib/pools.js';
import { alertmanagerPayload } from '../test/webhooks/payloads.js';
import { runInferenceBench } from './alert-ml.js';
import { printAlertReport, type CpuShares } from './alert-report.js';
import { runStorm, waitForCounts } from './alert-storm.js';
import { alternating } from './alternating.js';
import { jsonPoster } from './http-json.js';
import { emptySample, runBatch, type Starter } from './load.js';
import { runPaced } from './paced.js';
import {
  runBench,
  spawnApi,
  spawnWorker,
  startBenchPlatform,
  type BenchPlatform,
  type Cleanups,
} from './platform.js';
import { cliCommand, cpuMsOf, listeningPid, memoryOf, treeCpuMs } from './processes.js';

interface Options {
  count: number;
  concurrency: number;
  warmup: number;
  batch: number;
  pacedSeconds: number;
  rate: number;
  storm: number;
  fingerprints: number;
  perRequest: number;
  mlIterations: number;
  logLevel: string;
}

const SOURCE = 'alertmanager';
const KEY = 'bench-alertmanager-key';
const log = (message: string) => process.stderr.write(`${message}\n`);

async function bench(opts: Options, cleanups: Cleanups): Promise<void> {
  log('starting Temporal dev server and PostgreSQL...');
  const platform = await startBenchPlatform(cleanups);
  const { client, prefix } = platform;
  const db = createDbPool(platform.services.databaseUrl, 4);
  cleanups.push(() => db.end());
  // The source is configured as an operator would: a WEBHOOK_SOURCES_FILE naming the key's variable.
  const sourcesFile = path.join(platform.env.DHARMA_HOME!, 'webhook-sources.yaml');
  await writeFile(
    sourcesFile,
    `sources:\n  - { name: ${SOURCE}, kind: alertmanager, keyEnv: BENCH_WEBHOOK_KEY }\n`,
  );
  const mode = cliCommand().compiled ? 'compiled dist/' : 'sources via tsx';
  log(`starting the API and the orchestration worker (${mode})...`);
  const [api, worker] = await Promise.all([
    spawnApi(
      platform,
      {
        // One client sends every request: the per-IP limit (RATE_LIMIT_PER_MINUTE) would measure itself.
        RATE_LIMIT_PER_MINUTE: '1000000000',
        LOG_LEVEL: opts.logLevel,
        WEBHOOK_SOURCES_FILE: sourcesFile,
        BENCH_WEBHOOK_KEY: KEY,
      },
      cleanups,
    ),
    spawnWorker(
      platform,
      ['orchestration'],
      { REMEDIATION_AUTO_HEAL: 'false', LOG_LEVEL: opts.logLevel },
      cleanups,
    ),
  ]);
  const relayUrl = await spawnRelay(platform, cleanups);
  const poster = jsonPoster(api.url, opts.concurrency);
  const relayPoster = jsonPoster(relayUrl, opts.concurrency);
  cleanups.push(() => Promise.resolve(poster.close()));
  cleanups.push(() => Promise.resolve(relayPoster.close()));
  const post = async (payload: unknown) => {
    const res = await poster.post('/v1/webhooks/alertmanager', JSON.stringify(payload), {
      authorization: `Bearer ${KEY}`,
    });
    if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${res.text.slice(0, 300)}`);
  };

  // Both paths hand Temporal the same alert for a new fingerprint: the direct one normalizes the payload
  // the webhook receives, so only the API's own work differs.
  let sequence = 0;
  const ingested = `${prefix}-in-`;
  const payload = (side: string) =>
    alertmanagerPayload([{ fingerprint: `${ingested}${side}-${sequence++}`, severity: 'info' }]);
  const taskQueue = taskQueueFor('orchestration', prefix);
  const viaWebhook: Starter = () => post(payload('webhook'));
  const viaRelay: Starter = async () => {
    const res = await relayPoster.post('/', JSON.stringify(payload('relay')));
    if (res.status !== 202) throw new Error(`relay answered ${res.status}: ${res.text.slice(0, 300)}`);
  };
  const direct: Starter = async () => {
    const body = payload('direct') as Parameters<typeof normalizeAlertmanager>[0];
    const alert = normalizeAlertmanager(body, SOURCE)[0]!;
    await deliverAlert(client.workflow, alert, taskQueue);
  };

  log(`warm-up: ${opts.warmup} alerts each way...`);
  const warm = emptySample();
  await runBatch(viaWebhook, opts.warmup, opts.concurrency, warm);
  await runBatch(direct, opts.warmup, opts.concurrency, warm);
  await runBatch(viaRelay, opts.warmup, opts.concurrency, warm);
  if (warm.errors > 0) throw new Error(`warm-up failed: ${warm.firstError ?? '?'}`);
  // The storm starts on an idle worker: its wall time and memory are its own.
  await waitForCounts(db, ingested, sequence, 300_000);

  log(
    `storm: ${opts.storm} notifications over ${opts.fingerprints} fingerprints, ${opts.perRequest} per request...`,
  );
  const stormOptions = {
    notifications: opts.storm,
    fingerprints: opts.fingerprints,
    perRequest: opts.perRequest,
    concurrency: opts.concurrency,
    settleMs: 900_000,
  };
  const cpu = await cpuShares(platform, {
    API: api.proc.child.pid,
    'orchestration worker': worker.child.pid,
  });
  const storm = await runStorm(stormOptions, `${prefix}-storm-`, post, client, db, {
    onStart: cpu.begin,
    onAccepted: cpu.end,
  });
  const [apiMemory, workerMemory] = await Promise.all([
    memoryOf(api.proc.child.pid ?? 0),
    memoryOf(worker.child.pid ?? 0),
  ]);

  // Below what the stack sustains end to end, latency is each path's own; alternating 4 rounds.
  const pacedCount = opts.rate * opts.pacedSeconds;
  log(`paced: ${pacedCount} alerts each way at ${opts.rate}/s...`);
  const paths = { first: viaWebhook, second: direct, reference: viaRelay };
  const paced = await alternating(paths, pacedCount, Math.ceil(pacedCount / 4), (start, n, into) =>
    runPaced(start, n, opts.rate, opts.concurrency, into),
  );

  log(`saturated: ${opts.count} alerts each way, batches of ${opts.batch}, ${opts.concurrency} in flight...`);
  const apiCpuBefore = await cpuMsOf(api.proc.child.pid ?? 0);
  const saturated = await alternating(paths, opts.count, opts.batch, (start, n, into) =>
    runBatch(start, n, opts.concurrency, into),
  );
  const apiCpuMs = (await cpuMsOf(api.proc.child.pid ?? 0)) - apiCpuBefore;
  for (const c of [paced, saturated]) if (c.firstError) log(`ingestion errors; first: ${c.firstError}`);
  await Promise.all([stopChild(api.proc.child), stopChild(worker.child)]);

  log(`classifier and anomaly inference (${opts.mlIterations} predictions each)...`);
  const ml = await runInferenceBench(opts.mlIterations);

  printAlertReport({
    setup:
      `Alert intake on the embedded stack: Temporal dev server and PostgreSQL, the API and the orchestration ` +
      `worker in separate processes (${mode}), LOG_LEVEL=${opts.logLevel}. The worker runs with ` +
      `REMEDIATION_AUTO_HEAL=false: no playbook runs, so this measures intake (detect, count, triage), not healing.`,
    concurrency: opts.concurrency,
    saturated,
    paced,
    pacedRate: opts.rate,
    apiCpuMsPerAlert: apiCpuMs / Math.max(1, saturated.first.count),
    storm: { ...storm, ...stormOptions },
    memory: { api: apiMemory, worker: workerMemory },
    ...(cpu.result() ? { stormCpu: cpu.result()! } : {}),
    ml,
  });
}

/**
 * CPU time each process of the stack spends between `begin` and `end` (process trees: PostgreSQL's
 * backends count), against what 2 cores × the wall time offer: where an intake limit comes from.
 */
async function cpuShares(platform: BenchPlatform, dharma: Record<string, number | undefined>) {
  const portOf = (url: string) => Number(new URL(url.includes('://') ? url : `grpc://${url}`).port);
  const trees: Record<string, number | undefined> = {
    'Temporal dev server': await listeningPid(portOf(platform.services.temporalAddress)),
    PostgreSQL: await listeningPid(portOf(platform.services.databaseUrl)),
    ...dharma,
  };
  // This process is the parent of all the others: its own time only.
  const sample = async (): Promise<Record<string, number>> => ({
    ...Object.fromEntries(
      await Promise.all(
        Object.entries(trees).map(
          async ([name, pid]) => [name, pid ? await treeCpuMs(pid) : Number.NaN] as const,
        ),
      ),
    ),
    'benchmark client': await cpuMsOf(process.pid),
  });
  let before: Record<string, number> = {};
  let began = 0;
  let shares: CpuShares | undefined;
  return {
    begin: async () => {
      before = await sample();
      began = performance.now();
    },
    end: async () => {
      const wallMs = performance.now() - began;
      const after = await sample();
      shares = {
        wallMs,
        cores: availableParallelism(),
        byProcess: Object.entries(after).map(([name, ms]) => [name, ms - (before[name] ?? 0)]),
      };
    },
    result: () => shares,
  };
}

/** bench/http-relay.ts in its own process on a free port, once it listens; its URL. */
async function spawnRelay(platform: BenchPlatform, cleanups: Cleanups): Promise<string> {
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

const program = new Command('alert-ingestion')
  .description(
    'Benchmark alert webhooks against @temporalio/client, an alert storm, and alert-model inference',
  )
  .option('--count <n>', 'alerts per path in the saturated comparison', positiveInt('--count'), 3000)
  .option('--concurrency <n>', 'requests in flight per path', positiveInt('--concurrency'), 32)
  .option('--warmup <n>', 'unmeasured alerts per path first', positiveInt('--warmup'), 100)
  .option('--batch <n>', 'alerts per alternating batch (saturated)', positiveInt('--batch'), 500)
  .option('--paced-seconds <n>', 'seconds of paced load per path', positiveInt('--paced-seconds'), 20)
  .option('--rate <n>', 'paced alerts/s per path', positiveInt('--rate'), 20)
  .option('--storm <n>', 'notifications in the storm', positiveInt('--storm'), 10_000)
  .option('--fingerprints <n>', 'distinct fingerprints in the storm', positiveInt('--fingerprints'), 1000)
  .option('--per-request <n>', 'alerts per storm request', positiveInt('--per-request'), 20)
  .option('--ml-iterations <n>', 'predictions per model', positiveInt('--ml-iterations'), 20_000)
  .option('--log-level <level>', 'LOG_LEVEL of the API and worker', 'info')
  .parse();

await runBench((cleanups) => bench(program.opts<Options>(), cleanups));
