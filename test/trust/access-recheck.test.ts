import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import {
  createAccessRecheckActivities,
  type PartyDecision,
  type RecheckAccessInput,
} from '../../activities/trust/access-recheck.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';

/** The zero-trust re-check right before a deployment changes anything (domain section 4). */
const { db } = await freshDatabase(await testServices());
const { recheckAccess } = createAccessRecheckActivities({ db, env: {} } as unknown as ActivityDeps);
const MINUTE = 60_000;

describe('recheckAccess', () => {
  it('judges an approval by its age when the check runs, not when the step was first scheduled', async () => {
    // First scheduled an hour ago (retried since, e.g. through a database outage); approved 14 minutes
    // before that: fresh as of the scheduling, 74 minutes old now.
    const scheduledMs = Date.now() - 60 * MINUTE;
    const env = new MockActivityEnvironment(
      { scheduledTimestampMs: scheduledMs, attempt: 12 },
      { logger: new DefaultLogger('ERROR') },
    );
    const input = {
      resource: 'deployments/production/web',
      action: 'deploy',
      environment: 'production',
      parties: [
        {
          role: 'approver' as const,
          subject: 'bob',
          decidedAt: new Date(scheduledMs - 14 * MINUTE).toISOString(),
        },
      ],
    };
    const refusal = await env.run(recheckAccess, input).then(
      () => assert.fail('a 74-minute-old approval must not stand'),
      (error: unknown) => error,
    );
    assert.ok(refusal instanceof ApplicationFailure);
    assert.equal(refusal.nonRetryable, true);
    assert.match(refusal.message, /bob/);

    const recent = { ...input.parties[0]!, decidedAt: new Date(Date.now() - 5 * MINUTE).toISOString() };
    const [decision] = await env.run<[RecheckAccessInput], PartyDecision[], typeof recheckAccess>(
      recheckAccess,
      { ...input, parties: [recent] },
    );
    assert.equal(decision?.decision, 'ALLOW');
  });
});
