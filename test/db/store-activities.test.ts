import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import { createEventsActivities } from '../../activities/events/index.js';
import { createStoreActivities } from '../../activities/store/index.js';
import { listAudit } from '../../lib/db/audit.js';
import { eventsOf } from '../../lib/db/outbox.js';
import { getRun } from '../../lib/db/runs.js';
import { createLogger } from '../../lib/logger.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { freshDatabase } from './fresh-database.js';
import { recordEverything } from './fixtures/store-workflow.js';

const services = await testServices();
const client = await testClient(services);
const { db } = await freshDatabase(services);
const deps: ActivityDeps = { db, temporal: client, logger: createLogger('test'), env: {} };
const workflowBundle = await bundleWorkflowCode({
  workflowsPath: fileURLToPath(new URL('./fixtures/store-workflow.ts', import.meta.url)),
  logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
});

describe('store and events activities', () => {
  it('write each row once even when a reset re-runs the same activities', async () => {
    const taskQueue = `${uniquePrefix('store')}-orchestration`;
    await startTestWorker(services, {
      taskQueue,
      workflows: false,
      workflowBundle,
      activities: { ...createStoreActivities(deps), ...createEventsActivities(deps) },
    });
    const target = `stack-${randomUUID().slice(0, 8)}`;
    const workflowId = `store-${target}`;
    const first = await client.workflow.start(recordEverything, { taskQueue, workflowId, args: [target] });
    const eventId = await first.result();

    // Reset to the first workflow task: the new run schedules the same activities with the same ids.
    const history = await first.fetchHistory();
    const firstTask = history.events!.find((e) => e.workflowTaskCompletedEventAttributes);
    const reset = await client.workflowService.resetWorkflowExecution({
      namespace: services.namespace,
      workflowExecution: { workflowId, runId: first.firstExecutionRunId },
      workflowTaskFinishEventId: firstTask!.eventId,
      requestId: randomUUID(),
      reason: 'idempotency test',
    });
    const second = client.workflow.getHandle(workflowId, reset.runId);
    assert.equal(await second.result(), eventId, 'the re-run derives the same event id');
    assert.notEqual(reset.runId, first.firstExecutionRunId);

    const audit = await listAudit(db, { workflowId, limit: 10 });
    assert.equal(audit.items.length, 1);
    assert.equal(audit.items[0]!.runId, first.firstExecutionRunId, 'the first write stands');
    assert.equal(audit.items[0]!.sourceIp, '10.0.0.1');

    const events = await eventsOf(db, 'deployment', target);
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...events[0]!, timestamp: undefined },
      {
        eventId,
        eventType: 'DeploymentStarted',
        timestamp: undefined,
        aggregateId: target,
        aggregateType: 'deployment',
        version: 1,
        data: { target },
        metadata: { correlationId: workflowId },
      },
    );

    const run = await getRun(db, workflowId);
    assert.equal(run?.workflowType, 'recordEverything');
    assert.equal(run?.runId, reset.runId, 'the run summary follows the latest run');
    assert.equal(run?.state, 'completed');
    assert.equal(run?.requester, 'alice', 'later partial summaries keep earlier fields');
    assert.deepEqual(run?.result, { eventId });
  });
});
