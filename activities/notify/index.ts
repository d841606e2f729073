import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.js';
import { setting } from '../../lib/config.js';

/** A Slack-compatible message (incoming-webhook JSON). */
export interface NotifyMessage {
  text: string;
  blocks?: unknown[];
  /** Kind of notification (e.g. `approval.escalated`), for the log. */
  kind?: string;
}

export interface NotifyResult {
  /** Whether a webhook received it; false when NOTIFY_WEBHOOK_URL is unset. */
  delivered: boolean;
}

const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * Notifications (orchestration pool): always logged, and posted to NOTIFY_WEBHOOK_URL when set.
 * A 5xx or network error is retried by Temporal; a 4xx means the hook refuses this message for good.
 */
export function createNotifyActivities(deps: Pick<ActivityDeps, 'logger' | 'env'>) {
  const webhook = setting('NOTIFY_WEBHOOK_URL', deps.env);
  return {
    async notify(message: NotifyMessage): Promise<NotifyResult> {
      deps.logger.info({ kind: message.kind, webhook: webhook !== '' }, `notify: ${message.text}`);
      if (webhook === '') return { delivered: false };
      const response = await fetch(webhook, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: message.text, ...(message.blocks ? { blocks: message.blocks } : {}) }),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      if (response.ok) return { delivered: true };
      const body = (await response.text()).slice(0, 200);
      throw ApplicationFailure.create({
        type: 'NotifyRejected',
        message: `notification webhook answered ${response.status}: ${body}`,
        nonRetryable: response.status >= 400 && response.status < 500 && response.status !== 429,
      });
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
