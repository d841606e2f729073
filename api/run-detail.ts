import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { Type, type Static } from 'typebox';
import { approvalStatusQuery } from '../workflows/lib/approval-contract.js';
import { progressQuery } from '../workflows/lib/progress.js';
import type { ApiContext } from './context.js';
import { ApiError } from './errors.js';
import { RunSummary, summaryFromDescription } from './run-view.js';
import { callTemporal } from './temporal-calls.js';
import { hasApprovalGate } from './workflow-types.js';

const Progress = Type.Object({
  state: Type.String(),
  step: Type.String(),
  fraction: Type.Optional(Type.Number()),
  updatedAt: Type.String(),
});

const Approval = Type.Object({
  state: Type.String({ description: 'not_requested, pending, approved, rejected or expired.' }),
  requester: Type.Optional(Type.String()),
  environment: Type.Optional(Type.String()),
  changeHash: Type.Optional(Type.String({ description: 'What an approval must name.' })),
  summary: Type.Optional(Type.String()),
  warnings: Type.Array(Type.String()),
  requestedAt: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  escalated: Type.Boolean(),
  outcome: Type.Optional(
    Type.Object({
      decision: Type.String(),
      approver: Type.Optional(Type.String()),
      reason: Type.Optional(Type.String()),
      changeHash: Type.String(),
      decidedAt: Type.String(),
    }),
  ),
});

export const RunDetail = Type.Object({
  ...RunSummary.properties,
  taskQueue: Type.String(),
  historyLength: Type.Integer(),
  progress: Type.Optional(Progress),
  approval: Type.Optional(Approval),
  result: Type.Optional(Type.Unknown()),
  failure: Type.Optional(Type.Object({ message: Type.String(), type: Type.Optional(Type.String()) })),
  /** Why a query could not be answered (e.g. no worker polling the orchestration queue). */
  queryError: Type.Optional(Type.String()),
});
export type RunDetail = Static<typeof RunDetail>;

function failureOf(error: unknown): { message: string; type?: string } {
  const cause = error instanceof WorkflowFailedError && error.cause ? error.cause : (error as Error);
  let root: Error = cause;
  while (root.cause instanceof Error) root = root.cause;
  const type = root instanceof ApplicationFailure && root.type ? root.type : undefined;
  return { message: root.message || cause.message, ...(type ? { type } : {}) };
}

/** Everything the API shows about one run: described status plus queries (running) or outcome (closed). */
export async function runDetail(ctx: ApiContext, workflowId: string): Promise<RunDetail> {
  const handle = ctx.temporal.workflow.getHandle(workflowId);
  const description = await callTemporal(ctx, () => handle.describe(), workflowId);
  const detail: RunDetail = {
    ...summaryFromDescription(ctx, description),
    taskQueue: description.taskQueue,
    historyLength: description.historyLength,
  };
  if (description.status.name === 'RUNNING') {
    const withApproval = hasApprovalGate(ctx.workflowTypes, description.type);
    const [progress, approval] = await Promise.allSettled([
      callTemporal(ctx, () => handle.query(progressQuery), workflowId),
      withApproval
        ? callTemporal(ctx, () => handle.query(approvalStatusQuery), workflowId)
        : Promise.resolve(undefined),
    ]);
    if (progress.status === 'fulfilled') detail.progress = progress.value;
    if (approval.status === 'fulfilled' && approval.value) detail.approval = approval.value;
    const failed = [progress, approval].find((r) => r.status === 'rejected');
    if (failed) detail.queryError = (failed.reason as Error).message;
    return detail;
  }
  try {
    const result: unknown = await callTemporal(ctx, () => handle.result(), workflowId);
    if (result !== undefined) detail.result = result;
  } catch (error) {
    if (error instanceof ApiError) throw error;
    detail.failure = failureOf(error);
  }
  return detail;
}
