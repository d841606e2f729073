import { ScheduleNotFoundError, type ScheduleOptionsAction } from '@temporalio/client';
import type { ActivityDeps } from '../deps.js';
import {
  DRIFT_CHECK_WORKFLOW_TYPE,
  driftScheduleId,
  type DriftCheckInput,
} from '../../workflows/drift/contract.js';

export interface EnsureDriftScheduleInput {
  check: DriftCheckInput;
  /** e.g. 6h: the blueprint's drift.interval, else DRIFT_INTERVAL. */
  interval: string;
  /** The orchestration queue the drift check runs on (the deploying workflow's own queue). */
  taskQueue: string;
}

/** The per-stack drift Schedules (orchestration pool), through the Temporal client's schedule API. */
export function createDriftScheduleActivities(deps: ActivityDeps) {
  return {
    /**
     * Creates the stack's drift Schedule, or updates it to the new interval and input: a later deployment
     * of the stack (another version, reconcile turned on) replaces the check, never adds a second one.
     * Overlap SKIP: a check still running when the next is due is not doubled.
     */
    async ensureDriftSchedule(input: EnsureDriftScheduleInput): Promise<{ scheduleId: string }> {
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
      try {
        await handle.update((previous) => ({
          ...previous,
          spec,
          action,
          policies: { ...previous.policies, overlap: 'SKIP' },
        }));
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
        await deps.temporal.schedule.create({
          scheduleId,
          spec,
          action,
          policies: { overlap: 'SKIP' },
        });
      }
      return { scheduleId };
    },

    /** Removes the stack's drift Schedule (the stack was destroyed); idempotent. */
    async deleteDriftSchedule(input: { stack: string; environment: string }): Promise<void> {
      try {
        await deps.temporal.schedule.getHandle(driftScheduleId(input.stack, input.environment)).delete();
      } catch (error) {
        if (!(error instanceof ScheduleNotFoundError)) throw error;
      }
    },
  };
}
