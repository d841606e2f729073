import { defaultPayloadConverter } from '@temporalio/common';
import type { WorkflowExecutionDescription } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { Type, type Static } from 'typebox';
import { SEARCH_ATTRIBUTE_KEYS, type DharmaSearchAttribute } from '../lib/search-attributes.js';
import type { ApiContext } from './context.js';

export const RUN_STATUSES = [
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TERMINATED',
  'CONTINUED_AS_NEW',
  'TIMED_OUT',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Visibility query spelling of each status (Temporal's ExecutionStatus values). */
export const VISIBILITY_STATUS: Record<RunStatus, string> = {
  RUNNING: 'Running',
  COMPLETED: 'Completed',
  FAILED: 'Failed',
  CANCELLED: 'Canceled',
  TERMINATED: 'Terminated',
  CONTINUED_AS_NEW: 'ContinuedAsNew',
  TIMED_OUT: 'TimedOut',
};

/** Proto enum WorkflowExecutionStatus (1..7) to the names the SDK uses. */
const STATUS_BY_CODE: Record<number, RunStatus> = {
  1: 'RUNNING',
  2: 'COMPLETED',
  3: 'FAILED',
  4: 'CANCELLED',
  5: 'TERMINATED',
  6: 'CONTINUED_AS_NEW',
  7: 'TIMED_OUT',
};

export const Links = Type.Object({
  self: Type.String(),
  temporalUi: Type.String({ description: 'The run in the Temporal UI.' }),
});

export const RunSummary = Type.Object({
  workflowId: Type.String(),
  runId: Type.String(),
  workflowType: Type.String(),
  status: Type.String({ description: `One of ${RUN_STATUSES.join(', ')}.` }),
  startTime: Type.Optional(Type.String({ format: 'date-time' })),
  closeTime: Type.Optional(Type.String({ format: 'date-time' })),
  requester: Type.Optional(Type.String()),
  environment: Type.Optional(Type.String()),
  target: Type.Optional(Type.String()),
  links: Links,
});
export type RunSummary = Static<typeof RunSummary>;

export function links(ctx: ApiContext, workflowId: string, runId?: string): Static<typeof Links> {
  const ui = `${ctx.uiBaseUrl.replace(/\/$/, '')}/namespaces/${encodeURIComponent(ctx.temporal.options.namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return {
    self: `/v1/runs/${encodeURIComponent(workflowId)}`,
    temporalUi: runId ? `${ui}/${encodeURIComponent(runId)}` : ui,
  };
}

export function describedAttributes(description: WorkflowExecutionDescription) {
  const get = (name: DharmaSearchAttribute) =>
    description.typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS[name]);
  return {
    requester: get('DharmaRequester'),
    environment: get('DharmaEnvironment'),
    target: get('DharmaTarget'),
  };
}

/** google.protobuf.Timestamp as protobufjs decodes it (seconds is a Long). */
interface Timestamp {
  seconds?: { toNumber(): number } | number | null;
  nanos?: number | null;
}

function isoTime(ts: Timestamp | null | undefined): string | undefined {
  if (!ts?.seconds) return undefined;
  const seconds = typeof ts.seconds === 'number' ? ts.seconds : ts.seconds.toNumber();
  return new Date(seconds * 1000 + Math.floor((ts.nanos ?? 0) / 1e6)).toISOString();
}

function rawAttribute(
  info: temporal.api.workflow.v1.IWorkflowExecutionInfo,
  name: DharmaSearchAttribute,
): string | undefined {
  const payload = info.searchAttributes?.indexedFields?.[name];
  if (!payload) return undefined;
  const value: unknown = defaultPayloadConverter.fromPayload(payload);
  return Array.isArray(value)
    ? (value[0] as string | undefined)
    : typeof value === 'string'
      ? value
      : undefined;
}

/** A visibility record (listWorkflowExecutions) as the API shows it. */
export function summaryFromVisibility(
  ctx: ApiContext,
  info: temporal.api.workflow.v1.IWorkflowExecutionInfo,
): RunSummary {
  const workflowId = info.execution?.workflowId ?? '';
  const runId = info.execution?.runId ?? '';
  const startTime = isoTime(info.startTime);
  const closeTime = isoTime(info.closeTime);
  const requester = rawAttribute(info, 'DharmaRequester');
  const environment = rawAttribute(info, 'DharmaEnvironment');
  const target = rawAttribute(info, 'DharmaTarget');
  return {
    workflowId,
    runId,
    workflowType: info.type?.name ?? '',
    status: STATUS_BY_CODE[info.status ?? 0] ?? 'UNKNOWN',
    ...(startTime ? { startTime } : {}),
    ...(closeTime ? { closeTime } : {}),
    ...(requester ? { requester } : {}),
    ...(environment ? { environment } : {}),
    ...(target ? { target } : {}),
    links: links(ctx, workflowId, runId),
  };
}

/** A described execution as the API shows it. */
export function summaryFromDescription(
  ctx: ApiContext,
  description: WorkflowExecutionDescription,
): RunSummary {
  const { requester, environment, target } = describedAttributes(description);
  return {
    workflowId: description.workflowId,
    runId: description.runId,
    workflowType: description.type,
    status: description.status.name,
    startTime: description.startTime.toISOString(),
    ...(description.closeTime ? { closeTime: description.closeTime.toISOString() } : {}),
    ...(requester ? { requester } : {}),
    ...(environment ? { environment } : {}),
    ...(target ? { target } : {}),
    links: links(ctx, description.workflowId, description.runId),
  };
}
