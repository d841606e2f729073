import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { startPlatform } from '../../lib/platform/up.js';
import { taskQueueFor } from '../../lib/pools.js';
import {
  approvalStatusQuery,
  approveUpdate,
  CHANGE_REQUEST_WORKFLOW_TYPE,
  type ChangeRequestInput,
  type ChangeRequestResult,
} from '../../workflows/change-request/contract.js';
import { platformPorts } from './platform-ports.js';

/**
 * Live processes whose parent is this test process (Linux /proc), except tsx's own esbuild service,
 * which compiles this test's TypeScript and belongs to the test runtime, not to Dharma.
 */
function childProcesses(): string[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .flatMap((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        // Fields after the command name (which may hold spaces) start with: state ppid ...
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
        return Number(ppid) === process.pid && state !== 'Z' && name !== 'esbuild' ? [`${pid} ${name}`] : [];
      } catch {
        return [];
      }
    });
}

const home = await mkdtemp(path.join(tmpdir(), 'dharma-up-'));
after(() => rm(home, { recursive: true, force: true }));
const ports = await platformPorts();
const env: Record<string, string | undefined> = {
  ...process.env,
  TEMPORAL_ADDRESS: undefined,
  DATABASE_URL: undefined,
  DHARMA_HOME: home,
  WORKER_SHUTDOWN_GRACE: '5s',
  LOG_LEVEL: 'warn',
  ...ports,
};
const lines: string[] = [];
const onLog = (line: string) => lines.push(line);

describe('dharma up (startPlatform on embedded defaults)', () => {
  it('boots everything, stops without orphans, and resumes in-flight workflows after a restart', async () => {
    const first = await startPlatform({ env, onLog, handleSignals: false });
    assert.equal(first.urls.api, `http://127.0.0.1:${ports.API_PORT}`);
    assert.equal(
      first.urls.temporalUi,
      `http://127.0.0.1:${ports.TEMPORAL_UI_PORT}/namespaces/dharma/workflows`,
    );
    assert.match(first.health, /5\/5 pools polling, API ready/);
    assert.ok(
      lines.some((l) => l.includes('Dharma is up')),
      'prints the banner',
    );
    assert.equal((await fetch(`${first.urls.api}/readyz`)).status, 200);
    assert.equal((await fetch(first.urls.openapi)).status, 200);
    const metrics = await (await fetch(`http://127.0.0.1:${ports.METRICS_PORT}/metrics`)).text();
    assert.match(metrics, /temporal_/, 'the worker process exports Temporal runtime metrics');

    const connection = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_DEV_PORT}` });
    const client = new Client({ connection, namespace: 'dharma' });
    const input: ChangeRequestInput = {
      target: 'db/orders',
      environment: 'production',
      summary: 'raise max_connections',
      requester: 'alice',
      change: { max_connections: 300 },
    };
    const handle = await client.workflow.start<(i: ChangeRequestInput) => Promise<ChangeRequestResult>>(
      CHANGE_REQUEST_WORKFLOW_TYPE,
      { taskQueue: taskQueueFor('orchestration'), workflowId: 'up-test-change', args: [input] },
    );
    let status = await handle.query(approvalStatusQuery);
    for (let i = 0; status.state !== 'pending' && i < 120; i++) {
      await sleep(250);
      status = await handle.query(approvalStatusQuery);
    }
    assert.equal(status.state, 'pending');
    await connection.close();

    await first.stop();
    await first.done;
    assert.deepEqual(childProcesses(), [], 'stop() leaves no child processes');

    const second = await startPlatform({ env, onLog, handleSignals: false });
    try {
      const again = await Connection.connect({ address: `127.0.0.1:${ports.TEMPORAL_DEV_PORT}` });
      const resumed = new Client({ connection: again, namespace: 'dharma' }).workflow.getHandle<
        (i: ChangeRequestInput) => Promise<ChangeRequestResult>
      >('up-test-change');
      await resumed.executeUpdate(approveUpdate, {
        args: [
          {
            approver: 'bob',
            roles: ['approver'],
            changeHash: status.changeHash ?? '',
            reason: 'after restart',
          },
        ],
      });
      const result = await resumed.result();
      assert.equal(result.status, 'completed');
      await again.close();
    } finally {
      await second.stop();
    }
    assert.deepEqual(childProcesses(), [], 'stop() leaves no child processes');
  });
});
