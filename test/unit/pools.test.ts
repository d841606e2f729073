import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { siblingQueue, taskQueueFor } from '../../lib/pools.js';

describe('task queues', () => {
  it('are named <prefix>-<pool>', () => {
    assert.equal(taskQueueFor('trust'), 'dharma-trust');
    assert.equal(taskQueueFor('ml', 'staging'), 'staging-ml');
  });
  it('let a workflow find the activity queue next to its own', () => {
    assert.equal(siblingQueue('dharma-orchestration', 'terraform'), 'dharma-terraform');
    assert.equal(siblingQueue('t-42-orchestration', 'cloud'), 't-42-cloud');
  });
});
