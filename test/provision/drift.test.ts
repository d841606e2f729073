import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readBlueprintFile, starterBlueprintPath } from '../../lib/blueprints/format.js';
import { taskQueueFor } from '../../lib/pools.js';
import { DRIFT_CHECK_WORKFLOW_TYPE, driftScheduleId } from '../../workflows/drift/contract.js';
import type { DriftCheckInput, DriftCheckResult } from '../../workflows/drift/contract.js';
import { onCleanup } from '../harness/cleanup.js';
import { provisionFixture } from './provision-fixture.js';

const fx = await provisionFixture();
const directory = await mkdtemp(path.join(tmpdir(), 'dharma-drift-'));
onCleanup(() => rm(directory, { recursive: true, force: true }));
const starter = await readBlueprintFile(starterBlueprintPath('scratch-files'));

function runDriftCheck(input: Omit<DriftCheckInput, 'settings' | 'requester' | 'reconcile'>) {
  return fx.client.workflow.execute(DRIFT_CHECK_WORKFLOW_TYPE, {
    taskQueue: taskQueueFor('orchestration', fx.prefix),
    workflowId: `drift-test-${randomUUID().slice(0, 8)}`,
    args: [
      { ...input, reconcile: false, requester: 'alice', settings: fx.settings } satisfies DriftCheckInput,
    ],
  }) as Promise<DriftCheckResult>;
}

describe('driftCheck', () => {
  it('finds a dharma_file edited on disk: drifted, DriftDetected in the outbox; the Schedule skips overlaps', async () => {
    const blueprintId = await fx.blueprint({ ...starter, name: `scratch-${randomUUID().slice(0, 8)}` });
    const deployed = await fx
      .start({ blueprintId, environment: 'dev', autoApply: true, variables: { directory } })
      .then((handle) => handle.result());
    assert.equal(deployed.status, 'completed');
    const file = String(deployed.outputs.file);
    assert.equal(file, path.join(directory, `${blueprintId}-dev.txt`));
    const original = await readFile(file, 'utf8');
    assert.match(original, /^token \w{16} for dev\n$/);

    const schedule = await fx.client.schedule.getHandle(driftScheduleId(blueprintId, 'dev')).describe();
    assert.equal(schedule.policies.overlap, 'SKIP');
    assert.equal(schedule.action.type, 'startWorkflow');
    assert.equal(schedule.action.workflowType, DRIFT_CHECK_WORKFLOW_TYPE);
    assert.equal(schedule.spec.intervals?.length, 1, 'one check per interval (DRIFT_INTERVAL)');

    // Nothing changed: the deployed version, planned with its own variables, matches the disk.
    const inSync = await runDriftCheck({ blueprintId, stack: blueprintId, environment: 'dev' });
    assert.equal(inSync.status, 'in_sync');
    assert.equal(inSync.deploymentId, deployed.deploymentId);

    await writeFile(file, 'edited by hand\n');
    const drifted = await runDriftCheck({ blueprintId, stack: blueprintId, environment: 'dev' });
    assert.equal(drifted.status, 'drifted');
    assert.equal(drifted.version, '1.0.0');
    assert.ok(
      drifted.drift?.summary.resources.some(
        (r) => r.address === 'dharma_file.scratch' && r.action !== 'no-op',
      ),
      `the plan puts the file back: ${JSON.stringify(drifted.drift?.summary)}`,
    );
    assert.equal(await readFile(file, 'utf8'), 'edited by hand\n', 'a check only looks, it changes nothing');

    const { rows } = await fx.db.query<{ aggregate_type: string; data: { deploymentId: string } }>(
      `SELECT aggregate_type, data FROM events_outbox WHERE event_type = 'DriftDetected' AND aggregate_id = $1`,
      [`${blueprintId}:dev`],
    );
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.aggregate_type, 'Stack');
    assert.equal(rows[0]?.data.deploymentId, deployed.deploymentId);
  });

  it('answers not_deployed for a stack with no completed deployment', async () => {
    const result = await runDriftCheck({
      blueprintId: 'nothing-here',
      stack: 'nothing-here',
      environment: 'dev',
    });
    assert.equal(result.status, 'not_deployed');
  });
});
