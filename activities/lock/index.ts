import type { ActivityDeps } from '../deps.js';
import {
  LOCK_WORKFLOW_TYPE,
  lockRequestSignal,
  lockWorkflowId,
  type RequestLockArgs,
} from '../../workflows/lib/lock-contract.js';
import type { resourceLock } from '../../workflows/lock/workflow.js';

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
  };
}

export type LockActivities = ReturnType<typeof createLockActivities>;
