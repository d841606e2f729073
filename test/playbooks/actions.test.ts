import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Client } from '@temporalio/client';
import pg from 'pg';
import { createLogger } from '../../lib/logger.js';
import { ACTION_NAMES, actionBinding } from '../../lib/playbooks/actions.js';
import { activitiesForPool } from '../../workers/activities-for-pool.js';

describe('playbook action catalog', () => {
  it('binds every action to an activity that its pool registers', async () => {
    // Building the activity sets opens no connection: the pool and the client are lazy.
    const db = new pg.Pool();
    const temporal = new Client();
    const deps = { db, temporal, logger: createLogger('test'), env: {} };
    try {
      for (const action of ACTION_NAMES) {
        const { pool, activity } = actionBinding(action);
        const registered = activitiesForPool(pool, deps);
        assert.equal(typeof registered[activity], 'function', `${action}: ${pool} pool has no ${activity}`);
      }
    } finally {
      await db.end();
      await temporal.connection.close();
    }
  });
});
