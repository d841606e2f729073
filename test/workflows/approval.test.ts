import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkflowUpdateFailedError, type Client, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { createNotifyActivities } from '../../activities/notify/index.js';
import { createStoreActivities } from '../../activities/store/index.js';
import { listAudit } from '../../lib/db/audit.js';
import { createLogger } from '../../lib/logger.js';
import {
  APPROVAL_REFUSALS,
  approvalStatusQuery,
  approveUpdate,
  rejectUpdate,
  type ApprovalDecisionInput,
} from '../../workflows/lib/approval-contract.js';
import type { ApprovalRequest } from '../../workflows/lib/approval.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { fixtureBundle } from './fixtures/bundle.js';
import { approvalFixture, goSignal } from './fixtures/workflows.js';
import { startWebhookServer } from './notify-server.js';

// Top level: `after` hooks registered by the harness inside a `before` hook would run at once.
const services = await testServices();
const client: Client = await testClient(services);
const fresh = await freshDatabase(services);
const hook = await startWebhookServer();
const logger = createLogger('approval-test', {});
logger.level = 'warn';
const deps = { db: fresh.db, temporal: client, logger, env: { NOTIFY_WEBHOOK_URL: hook.url } };
const taskQueue = `${uniquePrefix('approval')}-orchestration`;
await startTestWorker(services, {
  workflows: false,
  workflowBundle: await fixtureBundle(),
  taskQueue,
  activities: { ...createStoreActivities(deps), ...createNotifyActivities(deps) },
});

const HASH = 'sha256:abc';
const request: ApprovalRequest = {
  requester: 'alice',
  environment: 'production',
  target: 'web:production',
  changeHash: HASH,
  summary: 'scale web to 3',
};
const bob: ApprovalDecisionInput = {
  approver: 'bob',
  roles: ['approver'],
  changeHash: HASH,
  reason: 'looks good',
};

async function startGate(
  waitForGo = false,
  extra: Partial<ApprovalRequest> = {},
): Promise<WorkflowHandle<typeof approvalFixture>> {
  const handle = await client.workflow.start(approvalFixture, {
    taskQueue,
    workflowId: uniquePrefix('approval'),
    args: [{ request: { ...request, ...extra }, waitForGo }],
  });
  if (!waitForGo) await waitForPending(handle);
  return handle;
}

async function waitForPending(handle: WorkflowHandle): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await handle.query(approvalStatusQuery)).state !== 'pending') {
    if (Date.now() > deadline) throw new Error('approval never became pending');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function refusal(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => assert.fail('expected the update to be refused'),
    (e: unknown) => e,
  );
  assert.ok(
    err instanceof WorkflowUpdateFailedError,
    `expected WorkflowUpdateFailedError, got ${String(err)}`,
  );
  assert.ok(err.cause instanceof ApplicationFailure);
  return err.cause;
}

/** Refused updates must leave no trace: no update event at all in the history. */
async function assertNoUpdateInHistory(handle: WorkflowHandle): Promise<void> {
  const { events } = await handle.fetchHistory();
  const updates = (events ?? []).filter(
    (e) =>
      e.workflowExecutionUpdateAcceptedEventAttributes || e.workflowExecutionUpdateAdmittedEventAttributes,
  );
  assert.deepEqual(updates, []);
}

describe('approval gate', () => {
  it('refuses, before anything is written to history, a decider without the approver role', async () => {
    const handle = await startGate();
    const failure = await refusal(
      handle.executeUpdate(approveUpdate, { args: [{ ...bob, roles: ['operator', 'viewer'] }] }),
    );
    assert.equal(failure.type, APPROVAL_REFUSALS.forbidden);
    assert.match(failure.message, /bob needs the approver or admin role/);
    const rejected = await refusal(
      handle.executeUpdate(rejectUpdate, { args: [{ ...bob, roles: ['viewer'] }] }),
    );
    assert.equal(rejected.type, APPROVAL_REFUSALS.forbidden);
    await assertNoUpdateInHistory(handle);
    await handle.terminate();
  });

  it('refuses an approver whose environments do not include the requested one', async () => {
    const handle = await startGate();
    const failure = await refusal(
      handle.executeUpdate(approveUpdate, { args: [{ ...bob, environments: ['staging'] }] }),
    );
    assert.equal(failure.type, APPROVAL_REFUSALS.forbidden);
    assert.match(failure.message, /environment production/);
    await assertNoUpdateInHistory(handle);
    await handle.terminate();
  });

  it('refuses the requester approving their own change (four-eyes), even as admin', async () => {
    const handle = await startGate();
    const failure = await refusal(
      handle.executeUpdate(approveUpdate, { args: [{ ...bob, approver: 'alice', roles: ['admin'] }] }),
    );
    assert.equal(failure.type, APPROVAL_REFUSALS.forbidden);
    assert.match(failure.message, /four-eyes/);
    await assertNoUpdateInHistory(handle);
    await handle.terminate();
  });

  it('refuses a stale change hash', async () => {
    const handle = await startGate();
    const failure = await refusal(
      handle.executeUpdate(approveUpdate, { args: [{ ...bob, changeHash: 'sha256:old' }] }),
    );
    assert.equal(failure.type, APPROVAL_REFUSALS.conflict);
    assert.match(failure.message, /stale change hash sha256:old/);
    await assertNoUpdateInHistory(handle);
    await handle.terminate();
  });

  it('refuses a decision when no approval is pending', async () => {
    const handle = await startGate(true);
    const failure = await refusal(handle.executeUpdate(approveUpdate, { args: [bob] }));
    assert.equal(failure.type, APPROVAL_REFUSALS.conflict);
    assert.match(failure.message, /nothing to approve: approval is not_requested/);
    await assertNoUpdateInHistory(handle);
    await handle.terminate();
  });

  it('refuses a malformed argument (as typed into the Temporal UI) naming the field', async () => {
    const handle = await startGate();
    const untyped = handle.executeUpdate<unknown, [unknown]>('approve', {
      args: [{ approver: 'bob', changeHash: HASH }],
    });
    const failure = await refusal(untyped);
    assert.equal(failure.type, APPROVAL_REFUSALS.invalid);
    assert.match(failure.message, /^roles: expected an array/);
    await assertNoUpdateInHistory(handle);
    await handle.terminate();
  });

  it('approves with a plain JSON update, keeping approver and reason in history and the audit log', async () => {
    const handle = await startGate();
    // The same untyped call the Temporal UI's "send update" makes.
    const outcome = await handle.executeUpdate<unknown, [unknown]>('approve', {
      args: [{ approver: 'bob', roles: ['approver'], changeHash: HASH, reason: 'looks good' }],
    });
    assert.deepEqual(
      { ...(outcome as object), decidedAt: undefined },
      {
        decision: 'approved',
        approver: 'bob',
        reason: 'looks good',
        changeHash: HASH,
        decidedAt: undefined,
      },
    );
    const result = await handle.result();
    assert.equal(result.decision, 'approved');
    assert.equal((await handle.query(approvalStatusQuery)).state, 'approved');

    const { events } = await handle.fetchHistory();
    const completed = (events ?? []).filter((e) => e.workflowExecutionUpdateCompletedEventAttributes);
    assert.equal(completed.length, 1);

    const { items } = await listAudit(fresh.db, { workflowId: handle.workflowId, limit: 10 });
    const decision = items.find((i) => i.action === 'approval.approved');
    assert.ok(decision, `no approval.approved audit entry in ${JSON.stringify(items)}`);
    assert.equal(decision.actor, 'bob');
    assert.equal(decision.decision, 'approved');
    assert.equal(decision.reason, 'looks good');
    assert.ok(items.some((i) => i.action === 'approval.requested' && i.actor === 'alice'));
  });

  it('rejects, and the requester may reject (withdraw) their own change', async () => {
    const handle = await startGate();
    const outcome = await handle.executeUpdate(rejectUpdate, {
      args: [{ approver: 'alice', roles: ['approver'], changeHash: HASH, reason: 'not today' }],
    });
    assert.equal(outcome.decision, 'rejected');
    const result = await handle.result();
    assert.equal(result.decision, 'rejected');
    assert.equal(result.reason, 'not today');
    const { items } = await listAudit(fresh.db, { workflowId: handle.workflowId, limit: 10 });
    assert.ok(
      items.some((i) => i.action === 'approval.rejected' && i.actor === 'alice' && i.reason === 'not today'),
    );
  });

  it('with required roles, refuses an approver lacking them and accepts an admin; anyone may still reject', async () => {
    const handle = await startGate(false, { requiredRoles: ['admin'], requiredRolesReason: 'over budget' });
    assert.deepEqual((await handle.query(approvalStatusQuery)).requiredRoles, ['admin']);
    const failure = await refusal(handle.executeUpdate(approveUpdate, { args: [bob] }));
    assert.equal(failure.type, APPROVAL_REFUSALS.forbidden);
    assert.equal(
      failure.message,
      'bob needs the admin role to approve this change (over budget); has approver',
    );
    await assertNoUpdateInHistory(handle);
    const outcome = await handle.executeUpdate(approveUpdate, {
      args: [{ ...bob, approver: 'carol', roles: ['operator', 'admin'] }],
    });
    assert.equal(outcome.decision, 'approved');
    assert.equal((await handle.result()).approver, 'carol');

    const other = await startGate(false, { requiredRoles: ['admin'] });
    const rejected = await other.executeUpdate(rejectUpdate, { args: [{ ...bob, reason: 'too expensive' }] });
    assert.equal(rejected.decision, 'rejected');
    await other.result();
  });

  it('accepts a decision once the go signal made the approval pending', async () => {
    const handle = await startGate(true);
    await handle.signal(goSignal);
    await waitForPending(handle);
    const outcome = await handle.executeUpdate(approveUpdate, { args: [{ ...bob, roles: ['admin'] }] });
    assert.equal(outcome.decision, 'approved');
    await handle.result();
  });
});
