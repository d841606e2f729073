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
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { positiveInt } from '../cli/parse.js';
import { normalizeAlertmanager } from '../api/webhooks/alertmanager.js';
import { deliverAlert } from '../lib/alerts/deliver.js';
import { createDbPool } from '../lib/db/pool.js';
import { stopChild } from '../lib/embedded/temporal-dev-server.js';
import { taskQueueFor } from '../lib/pools.js';
import { alertmanagerPayload } from '../test/webhooks/payloads.js';
import { runInferenceBench } from './alert-ml.js';
import { printAlertReport } from './alert-report.js';
import { cpuShares } from './cpu-shares.js';
import { runStorm, waitForCounts } from './alert-storm.js';
import { alternating } from './alternating.js';
import { jsonPoster } from './http-json.js';
import { emptySample, runBatch, type Starter } from './load.js';
import { runPaced } from './paced.js';
import {
  runBench,
  spawnApi,
  spawnRelay,
  spawnWorker,
  startBenchPlatform,
  type Cleanups,
} from './platform.js';
import { cliCommand, cpuMsOf, memoryOf } from './processes.js';

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
  const stormCpu = cpu.result();
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
    ...(stormCpu ? { stormCpu } : {}),
    ml,
  });
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
