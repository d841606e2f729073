import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { WorkflowFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createCloudActivities } from '../../activities/cloud/index.js';
import { createLockActivities } from '../../activities/lock/index.js';
import { createNotifyActivities } from '../../activities/notify/index.js';
import { createStoreActivities } from '../../activities/store/index.js';
import { listAudit } from '../../lib/db/audit.js';
import { createLogger } from '../../lib/logger.js';
import { siblingQueue } from '../../lib/pools.js';
import {
  approvalStatusQuery,
  approveUpdate,
  INVALID_CHANGE_REQUEST,
  progressQuery,
  type ChangeRequestInput,
} from '../../workflows/change-request/contract.js';
import { changeHash } from '../../workflows/lib/change-hash.js';
import { lockWorkflowId } from '../../workflows/lib/lock-contract.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { fixtureBundle } from './fixtures/bundle.js';
import { changeRequest } from './fixtures/workflows.js';
import { startWebhookServer } from './notify-server.js';

// Top level: `after` hooks registered by the harness inside a `before` hook would run at once.
const services = await testServices();
const client: Client = await testClient(services);
const fresh = await freshDatabase(services);
const hook = await startWebhookServer();
const logger = createLogger('change-request-test', {});
logger.level = 'warn';
const deps = { db: fresh.db, temporal: client, logger, env: { NOTIFY_WEBHOOK_URL: hook.url } };
const taskQueue = `${uniquePrefix('change')}-orchestration`;
await startTestWorker(services, {
  workflows: false,
  workflowBundle: await fixtureBundle(),
  taskQueue,
  activities: {
    ...createStoreActivities(deps),
    ...createNotifyActivities(deps),
    ...createLockActivities(deps),
  },
});
await startTestWorker(services, {
  workflows: false,
  taskQueue: siblingQueue(taskQueue, 'cloud'),
  activities: createCloudActivities(deps),
});

// The service the change's health check probes: healthy at /health, failing at /broken.
const probed = http.createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 503).end());
await new Promise<void>((resolve) => probed.listen(0, '127.0.0.1', resolve));
after(() => new Promise<void>((resolve) => probed.close(() => resolve())));
const probedPort = (probed.address() as { port: number }).port;

async function until<T>(probe: () => Promise<T>, accept: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

function start(input: ChangeRequestInput): Promise<WorkflowHandle<typeof changeRequest>> {
  return client.workflow.start(changeRequest, {
    taskQueue,
    workflowId: uniquePrefix('change'),
    args: [input],
  });
}

describe('changeRequest', () => {
  it('in production: locks, waits for approval, runs the HTTP check, audits, and releases the lock', async () => {
    const target = uniquePrefix('web');
    const change = { replicas: 3, image: 'web:1.2.3' };
    const handle = await start({
      target,
      environment: 'production',
      summary: 'scale web to 3',
      requester: 'alice',
      change,
      checks: [
        { kind: 'http', url: `http://127.0.0.1:${probedPort}/health` },
        { kind: 'tcp', host: '127.0.0.1', port: probedPort },
      ],
    });

    const status = await until(
      () => handle.query(approvalStatusQuery),
      (s) => s.state === 'pending',
    );
    assert.equal(status.changeHash, changeHash({ image: 'web:1.2.3', replicas: 3 }));
    assert.equal(status.requester, 'alice');
    assert.equal((await handle.query(progressQuery)).state, 'awaiting_approval');

    const outcome = await handle.executeUpdate(approveUpdate, {
      args: [
        {
          approver: 'bob',
          roles: ['approver'],
          environments: ['production'],
          changeHash: status.changeHash,
          reason: 'ok',
        },
      ],
    });
    assert.equal(outcome.decision, 'approved');

    const result = await handle.result();
    assert.equal(result.status, 'completed');
    assert.equal(result.lockKey, `${target}:production`);
    assert.equal(result.approval?.approver, 'bob');
    assert.deepEqual(
      result.checks.map((c) => [c.kind, c.detail]),
      [
        ['http', 'status 200'],
        ['tcp', 'connected'],
      ],
    );
    assert.equal((await handle.query(progressQuery)).state, 'completed');

    const { items } = await listAudit(fresh.db, { workflowId: handle.workflowId, limit: 20 });
    assert.deepEqual(
      items.sort((a, b) => a.id - b.id).map((i) => `${i.action}:${i.actor}`),
      ['change.requested:alice', 'approval.requested:alice', 'approval.approved:bob', 'change.completed:bob'],
    );
    // The lock workflow finished: nobody holds or waits.
    await client.workflow.getHandle(lockWorkflowId(result.lockKey)).result();
  });

  it('runs without approval outside production, and rolls back (audited, notified) when a check fails', async () => {
    const target = uniquePrefix('api');
    const handle = await start({
      target,
      environment: 'staging',
      summary: 'deploy api',
      requester: 'carol',
      change: { version: 2 },
      checks: [{ kind: 'http', url: `http://127.0.0.1:${probedPort}/broken` }],
    });
    const err = await handle.result().then(
      () => assert.fail('expected the failing check to fail the run'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.match(String((err.cause?.cause as Error | undefined)?.message), /answered 503, expected 200/);
    assert.equal((await handle.query(progressQuery)).state, 'rolled_back');

    const { items } = await listAudit(fresh.db, { workflowId: handle.workflowId, limit: 20 });
    assert.deepEqual(
      items.sort((a, b) => a.id - b.id).map((i) => i.action),
      ['change.requested', 'change.rolled_back'],
    );
    assert.ok(hook.received.some((m) => /Change to .*api.*rolled back/.test((m as { text: string }).text)));
    await client.workflow.getHandle(lockWorkflowId(`${target}:staging`)).result();
  });

  it('refuses malformed input naming the field', async () => {
    const handle = await start({
      target: 'web',
      environment: 'staging',
      summary: 'x',
      requester: 'alice',
      change: {},
      checks: [{ kind: 'tcp', host: 'localhost', port: 70000 }],
    });
    const err = await handle.result().then(
      () => assert.fail('expected invalid input'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof WorkflowFailedError);
    assert.ok(err.cause instanceof ApplicationFailure);
    assert.equal(err.cause.type, INVALID_CHANGE_REQUEST);
    assert.equal(err.cause.message, 'checks[0].port: expected a port (1-65535)');
  });
});
