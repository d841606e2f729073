/**
 * `npm run bench:alerts`: alert intake. Throughput and p50/p99 of POST /v1/webhooks/alertmanager (one alert
 * per request, webhook → workflow started or signalled) against the same signalWithStart calls made with
 * @temporalio/client directly, then a storm (default 10,000 notifications over 1,000 fingerprints): workflows
 * created, notifications lost, wall time and RSS. API and orchestration worker run in this one process, so
 * the RSS shown is of both together.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { Command } from 'commander';
import { positiveInt } from '../cli/parse.js';
import { buildApp } from '../api/app.js';
import { keyHash } from '../api/webhooks/verify.js';
import type { NormalizedAlert } from '../lib/alerts/alert.js';
import { createDbPool } from '../lib/db/pool.js';
import { migrate } from '../lib/db/migrate.js';
import { createLogger } from '../lib/logger.js';
import { taskQueueFor } from '../lib/pools.js';
import { startServices } from '../test/harness/services.js';
import { workflowBundle } from '../test/harness/temporal.js';
import { alertmanagerPayload } from '../test/webhooks/payloads.js';
import { activitiesForPool } from '../workers/activities-for-pool.js';
import { alertSignal, REMEDIATION_WORKFLOW_TYPE } from '../workflows/remediation/contract.js';
import { summarize, type LatencySummary } from './stats.js';

const KEY = 'bench-key';
const log = (message: string) => process.stderr.write(`${message}\n`);

async function timed(count: number, concurrency: number, one: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const began = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t = performance.now();
        try {
          await one(i);
          latencies.push(performance.now() - t);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  return summarize(latencies, errors, performance.now() - began);
}

const row = (name: string, s: LatencySummary) =>
  `| ${name} | ${s.count} | ${s.errors} | ${s.throughput.toFixed(0)} | ${s.p50.toFixed(1)} | ${s.p99.toFixed(1)} |`;

async function main(opts: { count: number; concurrency: number; storm: number; fingerprints: number }) {
  const services = await startServices();
  try {
    await migrate(services.databaseUrl);
    const db = createDbPool(services.databaseUrl, 10);
    const connection = await Connection.connect({ address: services.temporalAddress });
    const client = new Client({ connection, namespace: services.namespace });
    const prefix = `bench-${randomUUID().slice(0, 8)}`;
    const logger = createLogger('bench');
    logger.level = 'warn';
    const worker = await Worker.create({
      connection: await NativeConnection.connect({ address: services.temporalAddress }),
      namespace: services.namespace,
      taskQueue: taskQueueFor('orchestration', prefix),
      workflowBundle: await workflowBundle(),
      activities: activitiesForPool('orchestration', { db, temporal: client, logger, env: {} }),
    });
    const running = worker.run();
    await db.query(
      `INSERT INTO webhook_sources (source, kind, key_hash) VALUES ('alertmanager', 'alertmanager', $1)`,
      [keyHash(KEY)],
    );
    const app = await buildApp({
      temporal: client,
      db,
      auth: { issuer: 'dharma', audience: 'dharma-api', publicKeys: [] },
      logger: false,
      env: {},
      taskQueuePrefix: prefix,
      rateLimitPerMinute: 10_000_000,
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    const post = async (payload: unknown) => {
      const res = await fetch(`${url}/v1/webhooks/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body: JSON.stringify(payload),
      });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
    };
    const run = randomUUID().slice(0, 8);

    log(`ingestion: ${opts.count} alerts each way, concurrency ${opts.concurrency}`);
    const viaApi = await timed(opts.count, opts.concurrency, (i) =>
      post(alertmanagerPayload([{ fingerprint: `${prefix}-api-${run}-${i}`, severity: 'info' }])),
    );
    const viaClient = await timed(opts.count, opts.concurrency, async (i) => {
      const fingerprint = `${prefix}-direct-${run}-${i}`;
      const alert: NormalizedAlert = {
        source: 'bench',
        fingerprint,
        status: 'firing',
        alertName: 'InstanceDown',
        labels: { alertname: 'InstanceDown' },
        annotations: {},
        severity: 'P4',
        target: 'bench',
        startsAt: new Date().toISOString(),
      };
      await client.workflow.signalWithStart(REMEDIATION_WORKFLOW_TYPE, {
        workflowId: `incident-${fingerprint}`,
        taskQueue: taskQueueFor('orchestration', prefix),
        args: [{ fingerprint }],
        signal: alertSignal,
        signalArgs: [alert],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
    });

    log(`storm: ${opts.storm} notifications over ${opts.fingerprints} fingerprints (20 alerts per request)`);
    const stormPrefix = `${prefix}-storm-${run}-`;
    const perRequest = 20;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
    const began = Date.now();
    const storm = await timed(Math.ceil(opts.storm / perRequest), opts.concurrency, (p) =>
      post(
        alertmanagerPayload(
          Array.from({ length: Math.min(perRequest, opts.storm - p * perRequest) }, (_, i) => ({
            fingerprint: `${stormPrefix}${(p * perRequest + i) % opts.fingerprints}`,
            severity: 'info',
          })),
        ),
      ),
    );
    const acceptedMs = Date.now() - began;
    let counted = { incidents: 0, notifications: 0 };
    const deadline = Date.now() + 300_000;
    while (Date.now() < deadline) {
      const { rows } = await db.query<{ incidents: number; notifications: number }>(
        `SELECT count(*)::int AS incidents, coalesce(sum(notifications), 0)::int AS notifications
         FROM incidents WHERE fingerprint LIKE $1`,
        [`${stormPrefix}%`],
      );
      counted = rows[0]!;
      if (counted.notifications >= opts.storm) break;
      await sleep(250);
    }
    const wallMs = Date.now() - began;
    clearInterval(sampler);
    const { count: workflows } = await client.workflow.count(
      `WorkflowId STARTS_WITH "incident-${stormPrefix}"`,
    );

    console.log('## Alert ingestion\n');
    console.log('| path | alerts | errors | alerts/s | p50 ms | p99 ms |\n|---|---|---|---|---|---|');
    console.log(row('POST /v1/webhooks/alertmanager', viaApi));
    console.log(row('client.workflow.signalWithStart', viaClient));
    console.log(`\np99 ratio webhook/direct: ${(viaApi.p99 / viaClient.p99).toFixed(2)} (target ≤ 1.2)\n`);
    console.log('## Storm\n');
    console.log(
      `| notifications | fingerprints | request errors | workflows (visibility) | incidents | notifications counted | lost | accepted in | all counted in | peak RSS (API + worker) |`,
    );
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    console.log(
      `| ${opts.storm} | ${opts.fingerprints} | ${storm.errors} | ${workflows} | ${counted.incidents} | ${counted.notifications} | ${opts.storm - counted.notifications} | ${(acceptedMs / 1000).toFixed(1)} s | ${(wallMs / 1000).toFixed(1)} s | ${(peakRss / 2 ** 20).toFixed(0)} MiB |`,
    );
    await app.close();
    worker.shutdown();
    await running;
    await db.end();
    await connection.close();
  } finally {
    await services.stop();
  }
}

const program = new Command('alert-ingestion')
  .option('--count <n>', 'alerts per side of the ingestion comparison', positiveInt('--count'), 2000)
  .option('--concurrency <n>', 'requests in flight', positiveInt('--concurrency'), 32)
  .option('--storm <n>', 'notifications in the storm', positiveInt('--storm'), 10_000)
  .option('--fingerprints <n>', 'distinct fingerprints in the storm', positiveInt('--fingerprints'), 1000)
  .action(async (opts: { count: number; concurrency: number; storm: number; fingerprints: number }) => {
    await main(opts);
    process.exit(0);
  });
await program.parseAsync();
