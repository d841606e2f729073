import assert from 'node:assert/strict';
import type { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, CancelledFailure, defaultPayloadConverter } from '@temporalio/common';
import pg from 'pg';
import { stateResourceCount } from '../../activities/terraform/state-schema.js';
import { getDeployment } from '../../lib/deployments/repository.js';
import { stateSchemaName } from '../../lib/iac/synthesize.js';
import { lockStateQuery, lockWorkflowId } from '../../workflows/lib/lock-contract.js';
import type { provision } from '../../workflows/provision/workflow.js';
import type { ProvisionFixture } from './provision-fixture.js';

export interface FailedRun {
  handle: WorkflowHandle<typeof provision>;
  stack: string;
  environment: string;
  /** `rolled_back` once the apply had started, `failed` before. */
  state: 'failed' | 'rolled_back';
  /** Resource instances the stack's state must hold afterwards: those of the previous version after an update. */
  stateResources?: number;
  /** Real things the run's plan would have created that a query can still find (roles, files…); all must be 0. */
  leftovers?: () => Promise<Record<string, number>>;
}

/** The failure that ended the run: the innermost ApplicationFailure or the cancellation. */
export type RootFailure = ApplicationFailure | CancelledFailure;

/** The failure type (ApplicationFailure.type), or `Cancelled`. */
export function failureType(failure: RootFailure): string | undefined {
  return failure instanceof ApplicationFailure ? (failure.type ?? undefined) : 'Cancelled';
}

function rootCause(error: unknown): RootFailure | undefined {
  let current: unknown = error;
  while (current instanceof Error) {
    if (current instanceof ApplicationFailure || current instanceof CancelledFailure) return current;
    current = current.cause;
  }
  return undefined;
}

/**
 * Waits for the run to fail and checks the saga's promise for a failure at any step: no resource in the
 * stack's state (nor in the world, through `leftovers`), a free stack lock with nobody queued, no budget
 * reservation still `reserved`, every workspace of the run cleaned, the deployment row failed or rolled
 * back, and the matching event last in the outbox. Answers the root failure for step-specific checks.
 */
export async function assertNothingLeft(fx: ProvisionFixture, run: FailedRun): Promise<RootFailure> {
  const id = run.handle.workflowId;
  const error = await run.handle.result().then(
    () => assert.fail(`${id} must fail`),
    (e: unknown) => e,
  );
  const failure = rootCause(error);
  assert.ok(failure, `${id} failed without an application failure or cancellation: ${String(error)}`);

  const row = await getDeployment(fx.db, id);
  assert.equal(row?.state, run.state, `deployment row of ${id}: ${row?.failure ?? 'no failure recorded'}`);
  const { rows: events } = await fx.db.query<{ event_type: string }>(
    'SELECT event_type FROM events_outbox WHERE aggregate_id = $1 ORDER BY "timestamp", version',
    [id],
  );
  assert.equal(events[0]?.event_type, 'DeploymentStarted');
  assert.equal(
    events.at(-1)?.event_type,
    run.state === 'rolled_back' ? 'DeploymentRolledBack' : 'DeploymentFailed',
  );

  const reserved = await fx.db.query(
    `SELECT state FROM budget_reservations WHERE id = $1 AND state = 'reserved'`,
    [id],
  );
  assert.equal(reserved.rowCount, 0, 'no budget stays reserved');
  const dirty = await fx.db.query(
    'SELECT workspace_id FROM workspaces WHERE starts_with(deployment_id, $1) AND cleaned_at IS NULL',
    [id],
  );
  assert.equal(dirty.rowCount, 0, 'every workspace of the run (and of its restore) was cleaned');
  assert.equal(
    await stateResourceCount(fx.db, stateSchemaName(run.stack, run.environment)),
    run.stateResources ?? 0,
    'the stack state holds no resource of this run (or was dropped)',
  );
  if (run.leftovers) {
    const found = await run.leftovers();
    assert.deepEqual(
      found,
      Object.fromEntries(Object.keys(found).map((k) => [k, 0])),
      'nothing real is left',
    );
  }

  // Every run here asked for the lock; a query also answers once the lock workflow finished (it does
  // when nobody holds or waits).
  const lock = await fx.client.workflow
    .getHandle(lockWorkflowId(`${run.stack}:${run.environment}`))
    .query(lockStateQuery);
  assert.equal(lock.holder, undefined, 'nobody holds the stack lock');
  assert.deepEqual(lock.queue, [], 'nobody waits for the stack lock');
  return failure;
}

/** Results of the run's completed activities of `activityType`, from its history, oldest first. */
export async function activityResults(handle: WorkflowHandle, activityType: string): Promise<unknown[]> {
  const history = await handle.fetchHistory();
  const scheduled = new Set<string>();
  const results: unknown[] = [];
  for (const event of history.events ?? []) {
    if (event.activityTaskScheduledEventAttributes?.activityType?.name === activityType)
      scheduled.add(String(event.eventId));
    const completed = event.activityTaskCompletedEventAttributes;
    if (completed && scheduled.has(String(completed.scheduledEventId))) {
      const payload = completed.result?.payloads?.[0];
      results.push(payload ? defaultPayloadConverter.fromPayload(payload) : undefined);
    }
  }
  return results;
}

/** Rows of `sql` on the harness server (the provisioning target), outside the test's own database. */
export async function countOnServer(fx: ProvisionFixture, sql: string, params: unknown[]): Promise<number> {
  const client = new pg.Client({ connectionString: fx.services.databaseUrl });
  await client.connect();
  try {
    return (await client.query(sql, params)).rowCount ?? 0;
  } finally {
    await client.end();
  }
}

/** What a run of the tenant-database starter creates on the server: database `<tenant>_<env>` and its roles. */
export async function tenantDatabaseLeftovers(
  fx: ProvisionFixture,
  tenant: string,
  environment: string,
): Promise<Record<string, number>> {
  const database = `${tenant}_${environment}`;
  return {
    databases: await countOnServer(fx, 'SELECT 1 FROM pg_database WHERE datname = $1', [database]),
    roles: await countOnServer(fx, 'SELECT 1 FROM pg_roles WHERE rolname LIKE $1', [`${database}\\_%`]),
  };
}
