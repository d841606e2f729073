import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Worker } from '@temporalio/worker';
import * as workflows from '../../workflows/index.js';
import { workflowBundle } from '../harness/temporal.js';
import { recordedHistories } from './history-files.js';

const histories = recordedHistories();

describe('recorded histories replay against the current workflow code', () => {
  it('replays every recorded history without nondeterminism', async () => {
    assert.ok(histories.length > 0, 'no recorded histories in test/replay/histories');
    const failures: string[] = [];
    const replays = Worker.runReplayHistories(
      { workflowBundle: await workflowBundle() },
      histories.map(({ name, history }) => ({ workflowId: name, history })),
    );
    let replayed = 0;
    for await (const result of replays) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.message}`);
    }
    assert.equal(replayed, histories.length);
    // A failure here means a change altered the commands a recorded run made: guard it with
    // workflow.patched() or record a new history if the change is intended (see README).
    assert.deepEqual(failures, []);
  });

  it('has a recorded history for every workflow type Dharma registers', () => {
    const types = Object.entries(workflows)
      .filter(([, value]) => typeof value === 'function')
      .map(([name]) => name);
    const recorded = new Set(histories.map((h) => h.workflowType));
    assert.deepEqual(
      types.filter((type) => !recorded.has(type)),
      [],
      'record one with scripts/record-history.ts',
    );
  });
});
