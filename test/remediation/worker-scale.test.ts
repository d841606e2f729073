import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import proto from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { createRemediationActions } from '../../activities/cloud/remediation/index.js';
import type { ScaleWorkerPoolInput } from '../../activities/cloud/remediation/index.js';
import { cliChild } from '../../lib/platform/cli-child.js';
import { startReplicaSupervisor, type ReplicaSupervisor } from '../../lib/platform/replica-supervisor.js';
import { taskQueueFor } from '../../lib/pools.js';
import { freshDatabase } from '../db/fresh-database.js';
import { onCleanup } from '../harness/cleanup.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { scale } from './fixtures/scale-workflow.js';
import { activityFailureOf } from '../harness/failures.js';

const services = await testServices();
const client = await testClient(services);
const fresh = await freshDatabase(services);
const prefix = uniquePrefix('scale');
const cloudQueue = taskQueueFor('cloud', prefix);
const MAX = 2;

// The scaling activity runs where it does in production: on a cloud-pool worker of this installation.
await startTestWorker(services, {
  taskQueue: cloudQueue,
  workflows: false,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/scale-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }),
  activities: createRemediationActions({ db: fresh.db, env: { WORKER_MAX_REPLICAS: String(MAX) } }),
});

const lines: string[] = [];
/** The supervisor of `npm start`, spawning real `dharma worker --pool <pool>` processes. */
async function supervisor(): Promise<ReplicaSupervisor> {
  const started = await startReplicaSupervisor({
    databaseUrl: fresh.url,
    prefix,
    // Far beyond the test's length: every change below reaches the supervisor through LISTEN/NOTIFY.
    pollMs: 600_000,
    onLine: (line) => lines.push(line),
    createReplica: (pool, name) =>
      cliChild(name, ['worker', '--pool', pool], {
        env: {
          ...process.env,
          TEMPORAL_ADDRESS: services.temporalAddress,
          TEMPORAL_NAMESPACE: services.namespace,
          DATABASE_URL: fresh.url,
          DHARMA_TASK_QUEUE_PREFIX: prefix,
          METRICS_PORT: '0',
          WORKER_SHUTDOWN_GRACE: '2s',
          LOG_LEVEL: 'warn',
        },
        onLine: (line) => lines.push(line),
        stopGraceMs: 10_000,
      }),
  });
  onCleanup(() => started.stop());
  return started;
}

const run = (input: ScaleWorkerPoolInput, workflowId = `scale-${randomUUID()}`) =>
  client.workflow.execute(scale, { taskQueue: cloudQueue, workflowId, args: [input] });

/** Identities of the workers polling the cloud activity queue, as Temporal reports them. */
async function cloudPollers(): Promise<string[]> {
  const described = await client.workflowService.describeTaskQueue({
    namespace: services.namespace,
    taskQueue: { name: cloudQueue },
    taskQueueType: proto.temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_ACTIVITY,
  });
  return (described.pollers ?? []).map((poller) => poller.identity ?? '');
}

async function until<T>(what: string, probe: () => Promise<T> | T, ok: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) assert.fail(`${what}: still ${JSON.stringify(value)}\n${lines.join('\n')}`);
    await sleep(200);
  }
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const desired = async () =>
  (
    await fresh.db.query<{ extra: number }>('SELECT extra FROM worker_replicas WHERE task_queue = $1', [
      cloudQueue,
    ])
  ).rows[0]?.extra;

describe('scaleWorkerPool and the npm start replica supervisor', () => {
  it('refuses while no supervisor would act on the request, and changes nothing', async () => {
    const failure = await activityFailureOf(run({ pool: 'cloud', by: 1 }));
    assert.equal(failure.type, 'RemediationRefused');
    assert.equal(failure.nonRetryable, true);
    assert.match(
      failure.message,
      new RegExp(`no \`npm start\` supervisor runs the worker replicas of ${cloudQueue}`),
    );
    assert.equal(await desired(), undefined);
  });

  it('adds real worker processes that poll the pool queue, once per workflow step, within the bound', async () => {
    const replicas = await supervisor();
    const stepId = `scale-${randomUUID()}`;
    const grown = await run({ pool: 'cloud', by: 2 }, stepId);
    assert.deepEqual(grown, {
      pool: 'cloud',
      taskQueue: cloudQueue,
      before: 0,
      after: 2,
      max: MAX,
      applied: true,
    });

    const pids = await until(
      'two cloud replicas',
      () => replicas.pids('cloud'),
      (p) => p.length === 2,
    );
    const identities = pids.map((pid) => `cloud@${hostname()}:${pid}`);
    await until('Temporal sees both replicas polling', cloudPollers, (polling) =>
      identities.every((identity) => polling.includes(identity)),
    );
    assert.ok(lines.some((line) => line.includes('[replicas] cloud: 0 → 2 extra worker process(es)')));

    // The same workflow step again (a retry or a reset replays the same workflow and activity id).
    const repeated = await run({ pool: 'cloud', by: 2 }, stepId);
    assert.deepEqual(repeated, { ...grown, applied: false });
    assert.equal(await desired(), 2);

    const beyond = await activityFailureOf(run({ pool: 'cloud', by: 1 }));
    assert.equal(beyond.type, 'RemediationRefused');
    assert.match(
      beyond.message,
      /cloud has 2 extra replica\(s\); adding 1 would make 3, above WORKER_MAX_REPLICAS \(2\)/,
    );

    const unknown = await activityFailureOf(run({ pool: 'gpu', by: 1 }));
    assert.equal(unknown.type, 'InvalidRemediationInput');
    assert.match(
      unknown.message,
      /scaleWorkerPool: pool: expected one of orchestration, terraform, cloud, trust, ml, got "gpu"/,
    );

    const shrunk = await run({ pool: 'cloud', by: -1 });
    assert.deepEqual([shrunk.before, shrunk.after], [2, 1]);
    const [kept, removed] = pids as [number, number];
    await until(
      'the newest replica drained and exited',
      () => alive(removed),
      (up) => !up,
    );
    assert.deepEqual(replicas.pids('cloud'), [kept]);
    assert.equal(alive(kept), true);

    const tooFew = await activityFailureOf(run({ pool: 'cloud', by: -2 }));
    assert.match(tooFew.message, /cloud has 1 extra replica\(s\); cannot remove 2/);

    // A second supervisor on the same installation stands by instead of doubling the replicas.
    const second = await supervisor();
    assert.deepEqual(second.counts(), {});
    assert.ok(lines.some((line) => line.includes('another supervisor manages the extra worker replicas')));
    await second.stop();

    await replicas.stop();
    await until(
      'stop() drains the last replica',
      () => alive(kept),
      (up) => !up,
    );
  });
});
