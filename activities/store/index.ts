import type { ActivityDeps } from '../deps.js';
import { appendAudit as insertAudit, type AuditEntry } from '../../lib/db/audit.js';
import { upsertRun } from '../../lib/db/runs.js';
import { activityOrigin } from '../origin.js';

/** An audit entry as a workflow gives it: the workflow and run ids come from the activity's context. */
export type AuditInput = Omit<AuditEntry, 'workflowId' | 'runId'> & {
  /** Only for workflows that continue-as-new: see ActivityOrigin.key. */
  scope?: string;
};

export interface RunRecordInput {
  state: string;
  step?: string;
  requester?: string;
  environment?: string;
  target?: string;
  result?: unknown;
  failure?: string;
}

/** System-of-record writes made by workflows; they run on the orchestration queue. */
export function createStoreActivities(deps: ActivityDeps) {
  return {
    /** Appends one audit row for the calling workflow; retries and resets of this step add nothing. */
    async appendAudit(entry: AuditInput): Promise<void> {
      const { scope, ...fields } = entry;
      const origin = activityOrigin(scope);
      await insertAudit(deps.db, {
        ...fields,
        ...(origin.workflowId !== undefined ? { workflowId: origin.workflowId } : {}),
        ...(origin.runId !== undefined ? { runId: origin.runId } : {}),
        dedupeKey: origin.key,
      });
    },

    /** Upserts the calling workflow's run summary (keyed by workflow id, so a repeat is the same row). */
    async recordRun(summary: RunRecordInput): Promise<void> {
      const origin = activityOrigin();
      if (origin.workflowId === undefined || origin.runId === undefined) {
        throw new Error('recordRun must be called from a workflow: it records the calling run');
      }
      await upsertRun(deps.db, {
        ...summary,
        workflowId: origin.workflowId,
        runId: origin.runId,
        workflowType: origin.workflowType ?? 'unknown',
      });
    },
  };
}
