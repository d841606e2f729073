import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { taskQueueFor } from '../../lib/pools.js';
import {
  approvalStatusQuery,
  approveUpdate,
  CHANGE_REQUEST_WORKFLOW_TYPE,
  type ChangeRequestInput,
  type ChangeRequestResult,
} from '../../workflows/change-request/contract.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';
import { testClient, uniquePrefix } from '../harness/temporal.js';
import { startWorkerProcess } from './worker-process.js';

const services = await testServices();
const client = await testClient(services);
const database = await freshDatabase(services);

describe('a worker process killed with SIGKILL in the middle of a run', () => {
  it('loses nothing: the run completes once a new worker process is back', async () => {
    const prefix = uniquePrefix('kill');
    const env = {
      TEMPORAL_ADDRESS: services.temporalAddress,
      TEMPORAL_NAMESPACE: services.namespace,
      DATABASE_URL: database.url,
      DHARMA_TASK_QUEUE_PREFIX: prefix,
    };
    const first = await startWorkerProcess('all', env);

    const input: ChangeRequestInput = {
      target: `db/${prefix}`,
      environment: 'production',
      summary: 'raise max_connections',
      requester: 'alice',
      change: { max_connections: 300 },
    };
    const handle = await client.workflow.start<(i: ChangeRequestInput) => Promise<ChangeRequestResult>>(
      CHANGE_REQUEST_WORKFLOW_TYPE,
      { taskQueue: taskQueueFor('orchestration', prefix), workflowId: `${prefix}-change`, args: [input] },
    );
    // The run has done its first steps (lock, approval request) and waits for a decision.
    let status = await handle.query(approvalStatusQuery);
    for (let i = 0; status.state !== 'pending' && i < 120; i++) {
      await sleep(250);
      status = await handle.query(approvalStatusQuery);
    }
    assert.equal(status.state, 'pending', `approval never became pending; worker output:\n${first.output()}`);

    first.child.kill('SIGKILL');
    assert.equal(await first.exited, 'SIGKILL');

    const second = await startWorkerProcess('all', env);
    const outcome = await handle.executeUpdate(approveUpdate, {
      args: [
        {
          approver: 'bob',
          roles: ['approver'],
          changeHash: status.changeHash ?? '',
          reason: 'after the crash',
        },
      ],
    });
    assert.equal(outcome.decision, 'approved');
    const result = await handle.result();
    assert.equal(result.status, 'completed', `worker output:\n${second.output()}`);
    assert.equal(result.approval?.approver, 'bob');
    assert.equal(result.changeHash, status.changeHash);
  });
});
