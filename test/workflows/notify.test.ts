import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { createNotifyActivities } from '../../activities/notify/index.js';
import { createLogger } from '../../lib/logger.js';
import { startWebhookServer } from './notify-server.js';

const logger = createLogger('notify-test', {});
logger.level = 'warn';

describe('notify activity', () => {
  it('posts Slack-compatible JSON to NOTIFY_WEBHOOK_URL', async () => {
    const hook = await startWebhookServer();
    const { notify } = createNotifyActivities({ logger, env: { NOTIFY_WEBHOOK_URL: hook.url } });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*approve*' } }];
    assert.deepEqual(await notify({ text: 'approve me', blocks, kind: 'approval.escalated' }), {
      delivered: true,
    });
    assert.deepEqual(hook.received, [{ text: 'approve me', blocks }]);
  });

  it('only logs when no webhook is configured', async () => {
    const { notify } = createNotifyActivities({ logger, env: {} });
    assert.deepEqual(await notify({ text: 'nobody listens' }), { delivered: false });
  });

  it('fails for good on a 4xx answer and retryably on a 5xx answer', async () => {
    const refusing = await startWebhookServer(404);
    const failing = await startWebhookServer(503);
    const refused = await createNotifyActivities({ logger, env: { NOTIFY_WEBHOOK_URL: refusing.url } })
      .notify({ text: 'x' })
      .catch((e: unknown) => e);
    assert.ok(refused instanceof ApplicationFailure);
    assert.equal(refused.nonRetryable, true);
    assert.match(refused.message, /answered 404/);
    const unavailable = await createNotifyActivities({ logger, env: { NOTIFY_WEBHOOK_URL: failing.url } })
      .notify({ text: 'x' })
      .catch((e: unknown) => e);
    assert.ok(unavailable instanceof ApplicationFailure);
    assert.equal(unavailable.nonRetryable, false);
  });
});
