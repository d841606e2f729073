import {
  ScheduleNotFoundError,
  type ScheduleDescription,
  type ScheduleOptionsAction,
} from '@temporalio/client';
import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import {
  DRIFT_CHECK_WORKFLOW_TYPE,
  driftScheduleId,
  type DriftCheckInput,
} from '../../workflows/drift/contract.js';

export interface EnsureDriftScheduleInput {
  check: DriftCheckInput;
  /** e.g. 6h: the blueprint's drift.interval, else DRIFT_INTERVAL (milliseconds when restored). */
  interval: string | number;
  /** The orchestration queue the drift check runs on (the deploying workflow's own queue). */
  taskQueue: string;
}

export interface EnsuredDriftSchedule {
  scheduleId: string;
  /** The check the Schedule ran before, when there was one. */
  replaced?: EnsureDriftScheduleInput;
}

export interface RestoreDriftScheduleInput {
  stack: string;
  environment: string;
  replaced?: EnsureDriftScheduleInput;
}

/** What a drift Schedule of ours runs, read back from its description (undefined if not ours). */
function settingsOf(schedule: ScheduleDescription): EnsureDriftScheduleInput | undefined {
  const every = schedule.spec.intervals?.[0]?.every;
  const { action } = schedule;
  if (action.type !== 'startWorkflow' || every === undefined) return undefined;
  const check = action.args?.[0] as DriftCheckInput | undefined;
  return check ? { check, interval: every, taskQueue: action.taskQueue } : undefined;
}

/** What an attempt of ensureDriftSchedule found before it changed the Schedule, kept as heartbeat details. */
interface FoundBefore {
  replaced?: EnsureDriftScheduleInput;
}

/**
 * Creates the stack's drift Schedule, or updates it to the new interval and input, calling `found` with
 * what it replaces before the change is sent.
 */
async function upsertDriftSchedule(
  deps: ActivityDeps,
  input: EnsureDriftScheduleInput,
  found: (before: FoundBefore) => void = () => undefined,
): Promise<EnsuredDriftSchedule> {
  const scheduleId = driftScheduleId(input.check.stack, input.check.environment);
  const action: ScheduleOptionsAction = {
    type: 'startWorkflow',
    workflowType: DRIFT_CHECK_WORKFLOW_TYPE,
    workflowId: `${scheduleId}-check`,
    taskQueue: input.taskQueue,
    args: [input.check],
  };
  const spec = { intervals: [{ every: input.interval as `${number}h` }] };
  const handle = deps.temporal.schedule.getHandle(scheduleId);
  let replaced: EnsureDriftScheduleInput | undefined;
  try {
    await handle.update((previous) => {
      replaced = settingsOf(previous);
      found(replaced ? { replaced } : {});
      return { ...previous, spec, action, policies: { ...previous.policies, overlap: 'SKIP' } };
    });
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
    found({});
    await deps.temporal.schedule.create({ scheduleId, spec, action, policies: { overlap: 'SKIP' } });
  }
  return { scheduleId, ...(replaced ? { replaced } : {}) };
}

/** The per-stack drift Schedules (orchestration pool), through the Temporal client's schedule API. */
export function createDriftScheduleActivities(deps: ActivityDeps) {
  return {
    /**
     * Creates the stack's drift Schedule, or updates it to the new interval and input: a later deployment
     * of the stack (another version, reconcile turned on) replaces the check, never adds a second one.
     * Overlap SKIP: a check still running when the next is due is not doubled. What it replaces is what
     * the first attempt found (kept as heartbeat details before the change is sent): a retry after an
     * update that reached the Schedule would otherwise read back its own settings, and the undo would
     * put those back.
     */
    async ensureDriftSchedule(input: EnsureDriftScheduleInput): Promise<EnsuredDriftSchedule> {
      const context = Context.current();
      // A local activity keeps no heartbeat details: its retries are its own worker's.
      if (context.info.isLocal) return upsertDriftSchedule(deps, input);
      const earlier = context.info.heartbeatDetails as FoundBefore | undefined;
      const ensured = await upsertDriftSchedule(deps, input, (before) => context.heartbeat(before));
      if (!earlier) return ensured;
      return { scheduleId: ensured.scheduleId, ...(earlier.replaced ? { replaced: earlier.replaced } : {}) };
    },

    /**
     * The undo of ensureDriftSchedule: puts back the check it replaced, or removes the Schedule it
     * created. Idempotent.
     */
    async restoreDriftSchedule(input: RestoreDriftScheduleInput): Promise<void> {
      if (input.replaced) await upsertDriftSchedule(deps, input.replaced);
      else await deleteDriftSchedule(deps, input);
    },

    /** Removes the stack's drift Schedule (the stack was destroyed); idempotent. */
    deleteDriftSchedule: (input: { stack: string; environment: string }) => deleteDriftSchedule(deps, input),
  };
}

async function deleteDriftSchedule(
  deps: ActivityDeps,
  input: { stack: string; environment: string },
): Promise<void> {
  try {
    await deps.temporal.schedule.getHandle(driftScheduleId(input.stack, input.environment)).delete();
  } catch (error) {
    if (!(error instanceof ScheduleNotFoundError)) throw error;
  }
}
