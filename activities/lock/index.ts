import type { ActivityDeps } from '../deps.js';
import { WorkflowNotFoundError } from '@temporalio/client';
import {
  LOCK_WORKFLOW_TYPE,
  lockReleaseSignal,
  lockRequestSignal,
  lockWorkflowId,
  type RequestLockArgs,
} from '../../workflows/lib/lock-contract.js';
import type { resourceLock } from '../../workflows/lock/workflow.js';

export interface ReleaseLockArgs {
  key: string;
  requestId: string;
}

/**
 * Lock activities (orchestration pool). A workflow cannot signal-with-start another workflow itself, so
 * this activity does it with the client: it starts the key's lock workflow if none runs and queues the
 * request in the same atomic call. Retrying it is safe: the lock workflow ignores a repeated request id.
 */
export function createLockActivities(deps: Pick<ActivityDeps, 'temporal'>) {
  return {
    async requestLock(args: RequestLockArgs): Promise<void> {
      await deps.temporal.workflow.signalWithStart<typeof resourceLock, [RequestLockArgs['request']]>(
        LOCK_WORKFLOW_TYPE,
        {
          workflowId: lockWorkflowId(args.key),
          taskQueue: args.taskQueue,
          args: [
            { key: args.key, ...(args.maxHistoryEvents ? { maxHistoryEvents: args.maxHistoryEvents } : {}) },
          ],
          signal: lockRequestSignal,
          signalArgs: [args.request],
        },
      );
    },

    /**
     * Releases the lock (or withdraws the request). Repeating it is harmless: the lock workflow remembers
     * a release it cannot match. A lock workflow that is gone holds nothing any more.
     */
    async releaseLock(args: ReleaseLockArgs): Promise<void> {
      try {
        await deps.temporal.workflow
          .getHandle(lockWorkflowId(args.key))
          .signal(lockReleaseSignal, { requestId: args.requestId });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      }
    },
  };
}

export type LockActivities = ReturnType<typeof createLockActivities>;
