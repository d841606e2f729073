import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { DefaultLogger } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';
import {
  createDriftScheduleActivities,
  type EnsuredDriftSchedule,
  type EnsureDriftScheduleInput,
} from '../../activities/control/drift-schedules.js';
import type { ActivityDeps } from '../../activities/deps.js';
import { driftScheduleId } from '../../workflows/drift/contract.js';
import type { ProvisionSettings } from '../../workflows/provision/contract.js';
import { onCleanup } from '../harness/cleanup.js';
import { testServices } from '../harness/services.js';
import { testClient } from '../harness/temporal.js';

/** The drift Schedule a deployment sets, and what its undo puts back, against a real Temporal server. */
const client = await testClient(await testServices());
const schedules = createDriftScheduleActivities({ temporal: client } as ActivityDeps);

/** A check as a deployment of the stack sets it; `requester` tells the deployments apart. */
const settings = (stack: string, interval: string, requester: string): EnsureDriftScheduleInput => ({
  check: {
    stack,
    environment: 'dev',
    blueprintId: stack,
    reconcile: requester === 'second',
    requester,
    settings: {} as ProvisionSettings,
  },
  interval,
  taskQueue: 'drift-schedule-test',
});

describe('drift Schedule of a stack', () => {
  it('reports the check it replaced as the first attempt found it, also when a retry finds its own update', async () => {
    const stack = `drift-${randomUUID().slice(0, 8)}`;
    onCleanup(() => schedules.deleteDriftSchedule({ stack, environment: 'dev' }));
    const env = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) =>
      new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
    const ensure = (attempt: MockActivityEnvironment, input: EnsureDriftScheduleInput) =>
      attempt.run<[EnsureDriftScheduleInput], EnsuredDriftSchedule, typeof schedules.ensureDriftSchedule>(
        schedules.ensureDriftSchedule,
        input,
      );
    const v1 = settings(stack, '6h', 'first');
    const v2 = settings(stack, '2h', 'second');
    await ensure(env(), v1);

    // The first attempt of the update keeps what it found before it changes the Schedule ...
    const first = env();
    const heartbeats: unknown[] = [];
    first.on('heartbeat', (details: unknown) => heartbeats.push(details));
    const ensured = await ensure(first, v2);
    assert.equal(ensured.replaced?.check.requester, 'first');
    assert.equal(heartbeats.length, 1);

    // ... so a retry after that update reached the Schedule still names the first deployment's check, not its own.
    const retried = await ensure(env({ heartbeatDetails: heartbeats[0], attempt: 2 }), v2);
    assert.equal(retried.replaced?.check.requester, 'first');
    assert.equal(retried.replaced?.interval, 6 * 3_600_000);

    await env().run(schedules.restoreDriftSchedule, {
      stack,
      environment: 'dev',
      replaced: retried.replaced,
    });
    const { spec } = await client.schedule.getHandle(driftScheduleId(stack, 'dev')).describe();
    assert.equal(
      spec.intervals?.[0]?.every,
      6 * 3_600_000,
      "the undo puts the first deployment's check back",
    );
  });
});
