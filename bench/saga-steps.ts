import { defaultPayloadConverter } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { table } from '../cli/output.js';

export const TARGET_SAGA_RATIO = 1.15;

type History = temporal.api.history.v1.IHistory;
type Timestamp = temporal.api.history.v1.IHistoryEvent['eventTime'];

/** One activity execution of a run, from its workflow history. */
export interface ActivityTiming {
  name: string;
  /** Scheduled → started: the time the task waited in its queue for a worker. */
  queueMs: number;
  /** Started → closed: the activity's own work (including its retries' last attempt only). */
  runMs: number;
}

export interface DharmaRun {
  totalMs: number;
  activities: ActivityTiming[];
  /** Local activities by type, in order: they run inside workflow tasks, so their time is part of those. */
  localActivities: string[];
  /** Workflow tasks of the run and their summed time from scheduled to completed. */
  workflowTasks: { count: number; ms: number; each: WorkflowTask[] };
}

/** One workflow task: its time from scheduled to completed (of it, waiting for a worker) and its local activities. */
export interface WorkflowTask {
  ms: number;
  /** Scheduled → started: the time the task waited for the worker's poll. */
  queueMs: number;
  locals: string[];
}

export interface DirectRun {
  totalMs: number;
  /** tofu command → wall time. */
  commands: Record<string, number>;
}

export interface Round {
  index: number;
  first: 'Dharma' | 'direct';
  dharma: DharmaRun;
  direct: DirectRun;
}

function millis(ts: Timestamp): number {
  if (!ts) return Number.NaN;
  return Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6;
}

/** The activity type a local-activity marker records (the SDK's marker data, a JSON payload). */
function localActivityType(event: temporal.api.history.v1.IHistoryEvent): string | undefined {
  const marker = event.markerRecordedEventAttributes;
  if (marker?.markerName !== 'core_local_activity') return undefined;
  const payload = marker.details?.data?.payloads?.[0];
  const data = payload ? defaultPayloadConverter.fromPayload<{ activity_type?: string }>(payload) : undefined;
  return data?.activity_type ?? '?';
}

/** Every activity of a run in the order it was scheduled, with queue and run times, and its workflow tasks. */
export function runTimings(history: History): Omit<DharmaRun, 'totalMs'> {
  const scheduled = new Map<string, { name: string; at: number; startedAt?: number }>();
  const done: ActivityTiming[] = [];
  const localActivities: string[] = [];
  const workflowTasks = { count: 0, ms: 0, each: [] as WorkflowTask[] };
  let taskScheduledAt = Number.NaN;
  let taskStartedAt = Number.NaN;
  for (const event of history.events ?? []) {
    const id = String(event.eventId);
    const at = millis(event.eventTime);
    if (event.workflowTaskScheduledEventAttributes) taskScheduledAt = at;
    if (event.workflowTaskStartedEventAttributes) taskStartedAt = at;
    if (event.workflowTaskCompletedEventAttributes) {
      workflowTasks.count += 1;
      workflowTasks.ms += at - taskScheduledAt;
      workflowTasks.each.push({
        ms: at - taskScheduledAt,
        queueMs: taskStartedAt - taskScheduledAt,
        locals: [],
      });
    }
    const local = localActivityType(event);
    if (local) {
      localActivities.push(local);
      // The markers follow the task completion that ran them.
      const last = workflowTasks.each[workflowTasks.each.length - 1];
      last?.locals.push(local);
    }
    const sched = event.activityTaskScheduledEventAttributes;
    if (sched) scheduled.set(id, { name: sched.activityType?.name ?? '?', at });
    const started = event.activityTaskStartedEventAttributes;
    if (started) {
      const entry = scheduled.get(String(started.scheduledEventId));
      if (entry) entry.startedAt = at;
    }
    const closedOf =
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes ??
      event.activityTaskTimedOutEventAttributes;
    if (closedOf) {
      const entry = scheduled.get(String(closedOf.scheduledEventId));
      if (entry?.startedAt !== undefined) {
        done.push({ name: entry.name, queueMs: entry.startedAt - entry.at, runMs: at - entry.startedAt });
      }
    }
  }
  return { activities: done, localActivities, workflowTasks };
}

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const sum = <T>(items: readonly T[], pick: (item: T) => number) => items.reduce((s, i) => s + pick(i), 0);
const sec = (ms: number) => (Number.isFinite(ms) ? (ms / 1000).toFixed(2) : '-');
const msText = (ms: number) => (Number.isFinite(ms) ? ms.toFixed(0) : '-');

export function roundsReport(rounds: readonly Round[]): string {
  const dharma = median(rounds.map((r) => r.dharma.totalMs));
  const direct = median(rounds.map((r) => r.direct.totalMs));
  const ratio = dharma / direct;
  const verdict = ratio <= TARGET_SAGA_RATIO ? 'target met' : 'TARGET MISSED';
  return [
    table(
      ['Round', 'First', 'Dharma provision s', 'direct tofu s', 'Dharma/direct'],
      [
        ...rounds.map((r) => [
          r.index,
          r.first,
          sec(r.dharma.totalMs),
          sec(r.direct.totalMs),
          `${(r.dharma.totalMs / r.direct.totalMs).toFixed(2)}x`,
        ]),
        ['median', '', sec(dharma), sec(direct), `${ratio.toFixed(2)}x`],
      ],
    ),
    `wall time ratio Dharma/direct (medians): ${ratio.toFixed(2)}x (target <= ${TARGET_SAGA_RATIO}x: ${verdict})`,
  ].join('\n');
}

/** Per round, the sum over the activities matching `pick`, then the median over the rounds. */
function medianOfSums(rounds: readonly Round[], pick: (a: ActivityTiming) => number, name?: string): number {
  return median(
    rounds.map((r) =>
      r.dharma.activities
        .filter((a) => name === undefined || a.name === name)
        .reduce((s, a) => s + pick(a), 0),
    ),
  );
}

/** Each workflow task by its place in the run: median time, and the local activities it ran. */
function taskRows(rounds: readonly Round[]): Array<Array<string | number>> {
  const count = Math.max(0, ...rounds.map((r) => r.dharma.workflowTasks.each.length));
  return Array.from({ length: count }, (_, i) => {
    const tasks = rounds.flatMap((r) => r.dharma.workflowTasks.each[i] ?? []);
    const locals = [...new Set(tasks.flatMap((t) => t.locals))];
    return [
      `  workflow task ${i + 1}${locals.length > 0 ? ` (${locals.join(', ')})` : ''}`,
      tasks.length,
      msText(median(tasks.map((t) => t.ms - t.queueMs))),
      msText(median(tasks.map((t) => t.queueMs))),
    ];
  });
}

/**
 * Where Dharma's time goes: each activity type (calls per run, median run and queue time per run), the
 * workflow tasks, then the rest of the wall time (dispatch between steps, the client's start and
 * result round trips), next to the direct run's tofu commands.
 */
export function breakdownReport(rounds: readonly Round[], terraformActivities: ReadonlySet<string>): string {
  const names = [...new Set(rounds.flatMap((r) => r.dharma.activities.map((a) => a.name)))];
  const activityRows = names.map((name) => {
    const calls = median(rounds.map((r) => r.dharma.activities.filter((a) => a.name === name).length));
    return [
      terraformActivities.has(name) ? `${name} (tofu)` : name,
      calls,
      msText(medianOfSums(rounds, (a) => a.runMs, name)),
      msText(medianOfSums(rounds, (a) => a.queueMs, name)),
    ];
  });
  const locals = [...new Set(rounds.flatMap((r) => r.dharma.localActivities))];
  const localRows = locals.map((name) => [
    `${name} (local)`,
    median(rounds.map((r) => r.dharma.localActivities.filter((l) => l === name).length)),
    'in workflow tasks',
    '',
  ]);
  const total = median(rounds.map((r) => r.dharma.totalMs));
  const run = medianOfSums(rounds, (a) => a.runMs);
  const queued = medianOfSums(rounds, (a) => a.queueMs);
  const tasks = median(rounds.map((r) => r.dharma.workflowTasks.ms));
  const rest = total - run - queued - tasks;
  const tofuRun = median(
    rounds.map((r) =>
      r.dharma.activities.filter((a) => terraformActivities.has(a.name)).reduce((s, a) => s + a.runMs, 0),
    ),
  );
  const directTotal = median(rounds.map((r) => r.direct.totalMs));
  const commands = [...new Set(rounds.flatMap((r) => Object.keys(r.direct.commands)))];
  return [
    table(
      ['Dharma activity', 'calls/run', 'run ms', 'queue wait ms'],
      [
        ...activityRows,
        ['all activities', '', msText(run), msText(queued)],
        ...localRows,
        ...taskRows(rounds),
        [
          'workflow tasks (run: started to completed, local activities included; queue: scheduled to started)',
          median(rounds.map((r) => r.dharma.workflowTasks.count)),
          msText(median(rounds.map((r) => sum(r.dharma.workflowTasks.each, (t) => t.ms - t.queueMs)))),
          msText(median(rounds.map((r) => sum(r.dharma.workflowTasks.each, (t) => t.queueMs)))),
        ],
        ['rest: dispatch between steps, start and result round trips', '', msText(rest), ''],
        ['total (median wall time)', '', msText(total), ''],
      ],
    ),
    table(
      ['direct tofu command', 'ms'],
      [
        ...commands.map((c) => [c, msText(median(rounds.map((r) => r.direct.commands[c] ?? Number.NaN)))]),
        ['total', msText(directTotal)],
      ],
    ),
    `Dharma's extra ${msText(total - directTotal)} ms: terraform-pool activities ${msText(tofuRun - directTotal)} ms ` +
      `beyond the direct tofu run, other activities ${msText(run - tofuRun)} ms, queue waits ${msText(queued)} ms, ` +
      `workflow tasks (with local activities) ${msText(tasks)} ms, the rest ${msText(rest)} ms (medians: the parts need not add up exactly).`,
  ].join('\n');
}

/** What happened when in one run: each history event, ms from the first, with its activity or marker. */
export function timelineReport(history: History): string {
  const events = history.events ?? [];
  const start = millis(events[0]?.eventTime);
  const names = new Map<string, string>();
  const rows = events.map((event) => {
    const kind = Object.keys(event).find(
      (k) => k.endsWith('EventAttributes') && event[k as keyof typeof event],
    );
    const sched = event.activityTaskScheduledEventAttributes;
    if (sched) names.set(String(event.eventId), sched.activityType?.name ?? '?');
    const closed =
      event.activityTaskStartedEventAttributes ??
      event.activityTaskCompletedEventAttributes ??
      event.activityTaskFailedEventAttributes;
    const detail =
      sched?.activityType?.name ??
      (closed ? names.get(String(closed.scheduledEventId)) : undefined) ??
      localActivityType(event) ??
      event.signalExternalWorkflowExecutionInitiatedEventAttributes?.signalName ??
      event.workflowExecutionSignaledEventAttributes?.signalName ??
      '';
    return [msText(millis(event.eventTime) - start), (kind ?? '?').replace(/EventAttributes$/, ''), detail];
  });
  return table(['ms', 'event', 'activity / signal'], rows);
}
