import {
  CancellationScope,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  log,
  patched,
  proxyLocalActivities,
  setHandler,
  sleep,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import { msToNumber } from '@temporalio/common/lib/time.js';
import type { LockActivities } from '../../activities/lock/index.js';
import { lockGrantedSignal, lockReleaseSignal, lockRenewSignal, lockWorkflowId } from './lock-contract.js';
import { CONTROL_ACTIVITY_OPTIONS, LOCAL_CONTROL_OPTIONS } from './activity-options.js';
import { poolActivities } from './pool-activities.js';

/** The default lease; callers pass LOCK_LEASE from settings through their input. */
export const DEFAULT_LOCK_LEASE = '1h';

/**
 * Acquisitions started before it replay their request as the activity task they recorded. From it on the
 * request is a local activity: the requester's own worker (orchestration, which hosts requestLock) sends it
 * within the workflow task, with no activity task and no workflow task for its completion; the lock
 * workflow ignores a repeated request id, so a retry in the worker is harmless.
 */
const LOCAL_REQUEST = 'lock-request-local';

/**
 * From it on the lease is renewed until `fn` returns also when the workflow is cancelled: a cancelled run
 * still holds the lock while its compensations undo what it did, which may take longer than a lease.
 * Runs recorded before it stopped renewing at the cancellation.
 */
const RENEW_THROUGH_UNDO = 'lock-renew-through-undo';

/**
 * From it on the release is a local activity too, sent within the holder's last workflow task: as a
 * signal from the workflow it needed a task of its own for the server's acknowledgement.
 */
const LOCAL_RELEASE = 'lock-release-local';

export interface WithLockOptions {
  /**
   * Lease length ('30m', '1h' or milliseconds); the lock is taken away if the holder neither renews
   * nor releases within it.
   */
  lease?: string | number;
  /** Renew the lease every half lease while `fn` runs (default true): only a dead holder loses it. */
  autoRenew?: boolean;
  /** History size at which the lock workflow continues as new (tests use a small one). */
  maxHistoryEvents?: number;
  /** Called once the request is queued, before the lock is granted (e.g. to report "waiting"). */
  onQueued?: () => void;
}

export interface HeldLock {
  key: string;
  requestId: string;
  /** Extends the lease by `lease` (default: the acquisition lease) from now. */
  renew(lease?: string | number): Promise<void>;
}

// One handler per workflow routes grants to the acquisition waiting for them; module state is per workflow.
const granted = new Set<string>();
let grantHandlerInstalled = false;

/**
 * Runs `fn` while holding the per-resource lock `key`: queues a request with the key's lock workflow
 * (signal-with-start through an activity), waits for its turn in FIFO order, and always releases, also
 * when `fn` fails or the workflow is cancelled (the release runs in a non-cancellable scope).
 */
export async function withLock<T>(
  key: string,
  fn: (lock: HeldLock) => Promise<T>,
  options: WithLockOptions = {},
): Promise<T> {
  const leaseMs = msToNumber(options.lease ?? DEFAULT_LOCK_LEASE);
  const requestId = uuid4();
  const lockHandle = getExternalWorkflowHandle(lockWorkflowId(key));
  const local = proxyLocalActivities<LockActivities>(LOCAL_CONTROL_OPTIONS);
  const { requestLock } = patched(LOCAL_REQUEST)
    ? local
    : poolActivities<LockActivities>('orchestration', CONTROL_ACTIVITY_OPTIONS);
  if (!grantHandlerInstalled) {
    setHandler(lockGrantedSignal, (grant) => void granted.add(grant.requestId));
    grantHandlerInstalled = true;
  }

  // Not cancellable: once sent, the request is known to be queued, so the release below always matches it.
  await CancellationScope.nonCancellable(() =>
    requestLock({
      key,
      taskQueue: workflowInfo().taskQueue,
      request: { requestId, workflowId: workflowInfo().workflowId, leaseMs },
      ...(options.maxHistoryEvents ? { maxHistoryEvents: options.maxHistoryEvents } : {}),
    }),
  );
  try {
    options.onQueued?.();
    await condition(() => granted.has(requestId));
    const held: HeldLock = {
      key,
      requestId,
      renew: (lease) =>
        lockHandle.signal(lockRenewSignal, { requestId, leaseMs: msToNumber(lease ?? leaseMs) }),
    };
    if (options.autoRenew === false) return await fn(held);
    const renewing = patched(RENEW_THROUGH_UNDO)
      ? new CancellationScope({ cancellable: true, parent: new CancellationScope({ cancellable: false }) })
      : new CancellationScope();
    const renewal = renewing.run(() => renewForever(held, leaseMs));
    try {
      return await fn(held);
    } finally {
      renewing.cancel();
      await renewal;
    }
  } finally {
    granted.delete(requestId);
    await CancellationScope.nonCancellable(async () => {
      try {
        if (patched(LOCAL_RELEASE)) await local.releaseLock({ key, requestId });
        else await lockHandle.signal(lockReleaseSignal, { requestId });
      } catch (err) {
        // The lock workflow only disappears when terminated by hand: then nothing is held any more.
        log.warn('lock release could not be delivered', { key, error: String(err) });
      }
    });
  }
}

async function renewForever(held: HeldLock, leaseMs: number): Promise<void> {
  try {
    for (;;) {
      await sleep(Math.max(1000, Math.floor(leaseMs / 2)));
      await held.renew();
    }
  } catch (err) {
    if (!isCancellation(err)) log.warn('lock renewal failed', { key: held.key, error: String(err) });
  }
}
