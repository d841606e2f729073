import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';

/** Where the running activity comes from, and the key that makes its writes idempotent. */
export interface ActivityOrigin {
  workflowId?: string;
  runId?: string;
  workflowType?: string;
  /**
   * `<workflowId>/<activityId>`. Temporal retries an activity under the same id, and a reset replays
   * the workflow so the same step gets the same (sequence-numbered) id again: keying writes on it means
   * neither adds a second row. Workflows that continue-as-new restart activity ids in each run, so they
   * pass a `scope` (e.g. their generation) that goes between the two.
   */
  key: string;
  /** When the workflow scheduled the activity: the same on every retry. */
  scheduledAt: Date;
}

/**
 * Workflows whose id names a series of runs rather than one: `incident-<fingerprint>` is opened again for
 * every new occurrence of the alert, each run its own incident, and activity ids start again at 1 in each
 * run. Their writes are keyed per run, so the next incident's writes are not taken for the last one's.
 */
const RUN_SCOPED_WORKFLOWS: ReadonlySet<string> = new Set(['remediation']);

export function activityOrigin(scope?: string): ActivityOrigin {
  const info = Context.current().info;
  const execution = info.workflowExecution;
  const runScoped = execution && RUN_SCOPED_WORKFLOWS.has(info.workflowType ?? '');
  const owner = execution
    ? `${execution.workflowId}${runScoped ? `@${execution.runId}` : ''}`
    : `standalone:${info.activityType}`;
  return {
    ...(execution ? { workflowId: execution.workflowId, runId: execution.runId } : {}),
    ...(info.workflowType !== undefined ? { workflowType: info.workflowType } : {}),
    key: [owner, ...(scope !== undefined ? [scope] : []), info.activityId].join('/'),
    scheduledAt: new Date(info.scheduledTimestampMs),
  };
}

// Fixed namespace for Dharma's name-based UUIDs (RFC 9562 version 5).
const DHARMA_UUID_NAMESPACE = Buffer.from('6f0c2c8e5b1d4a6e9c3a1f2b7d8e9a01', 'hex');

/** A UUID v5 of `name`: the same name always gives the same id. */
export function uuidV5(name: string): string {
  const hash = createHash('sha1').update(DHARMA_UUID_NAMESPACE).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
