import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  log,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import {
  lockPositionQuery,
  lockReleaseSignal,
  lockRenewSignal,
  lockRequestSignal,
  lockStateQuery,
  lockGrantedSignal,
  type LockHolder,
  type LockPosition,
  type LockWaiter,
  type LockWorkflowInput,
} from '../lib/lock-contract.js';
import { progressQuery, type RunProgress } from '../lib/progress.js';

/** Well below Temporal's 50k-event limit, so the history stays cheap to replay. */
export const LOCK_MAX_HISTORY_EVENTS = 2000;
const MAX_WITHDRAWN = 100;

/**
 * One instance per key (workflow id `lock:<key>`), started or signalled with signal-with-start. Grants
 * the lock to requests in arrival order, takes it away from a holder whose lease ran out (a terminated
 * or stuck holder cannot block the key forever), and finishes when nobody holds or waits. Its queue
 * survives continue-as-new.
 */
export async function resourceLock(input: LockWorkflowInput): Promise<void> {
  const maxEvents = input.maxHistoryEvents ?? LOCK_MAX_HISTORY_EVENTS;
  let holder: LockHolder | undefined = input.holder;
  const queue: LockWaiter[] = [...(input.queue ?? [])];
  const withdrawn: string[] = [...(input.withdrawn ?? [])];
  // Bumped on every renewal/release so the lease wait below wakes up and re-reads the expiry.
  let version = 0;

  const known = (requestId: string) =>
    holder?.requestId === requestId || queue.some((w) => w.requestId === requestId);

  setHandler(lockRequestSignal, (request) => {
    // Activity retries may deliver the same request twice; a withdrawn request must not be queued.
    if (known(request.requestId) || withdrawn.includes(request.requestId)) return;
    queue.push({ ...request, requestedAt: new Date().toISOString() });
  });
  setHandler(lockReleaseSignal, ({ requestId }) => {
    version++;
    if (holder?.requestId === requestId) {
      holder = undefined;
      return;
    }
    const index = queue.findIndex((w) => w.requestId === requestId);
    if (index >= 0) queue.splice(index, 1);
    else withdrawn.splice(0, Math.max(0, withdrawn.push(requestId) - MAX_WITHDRAWN));
  });
  setHandler(lockRenewSignal, ({ requestId, leaseMs }) => {
    if (holder?.requestId !== requestId) return;
    holder = { ...holder, leaseExpiresAt: Date.now() + (leaseMs ?? holder.leaseMs) };
    version++;
  });
  setHandler(lockStateQuery, () => ({ key: input.key, holder, queue }));
  setHandler(lockPositionQuery, (id): LockPosition | null => {
    const matches = (r: { requestId: string; workflowId: string }) =>
      r.requestId === id || r.workflowId === id;
    if (holder && matches(holder))
      return { requestId: holder.requestId, workflowId: holder.workflowId, position: 0 };
    const index = queue.findIndex(matches);
    const waiter = queue[index];
    return waiter
      ? { requestId: waiter.requestId, workflowId: waiter.workflowId, position: index + 1 }
      : null;
  });
  setHandler(progressQuery, (): RunProgress => {
    const step = holder ? `held by ${holder.workflowId}, ${queue.length} waiting` : 'free';
    return { state: holder ? 'held' : 'free', step, updatedAt: new Date().toISOString() };
  });

  for (;;) {
    if (!holder) {
      const next = queue.shift();
      if (!next) break;
      // Held from the moment of the grant, so a release racing with the grant signal is not lost.
      const granted: LockHolder = {
        ...next,
        acquiredAt: new Date().toISOString(),
        leaseExpiresAt: Date.now() + next.leaseMs,
      };
      holder = granted;
      if (!(await grant(input.key, granted)) && holder === granted) holder = undefined;
      continue;
    }
    const seen = version;
    const current: LockHolder = holder;
    const remaining = current.leaseExpiresAt - Date.now();
    const changed =
      remaining > 0 && (await condition(() => version !== seen || holder !== current, remaining));
    if (!changed && holder === current && Date.now() >= current.leaseExpiresAt) {
      log.warn('lock lease expired; taking the lock from its holder', {
        key: input.key,
        holder: current.workflowId,
      });
      holder = undefined;
    }
    const info = workflowInfo();
    if (info.continueAsNewSuggested || info.historyLength >= maxEvents) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof resourceLock>({
        key: input.key,
        maxHistoryEvents: maxEvents,
        holder,
        queue,
        withdrawn,
      });
    }
  }
  await condition(allHandlersFinished);
}

/** Tells the new holder it holds the lock; false when its workflow is gone (then it is skipped). */
async function grant(key: string, holder: LockHolder): Promise<boolean> {
  try {
    await getExternalWorkflowHandle(holder.workflowId).signal(lockGrantedSignal, {
      key,
      requestId: holder.requestId,
      leaseExpiresAt: holder.leaseExpiresAt,
    });
    return true;
  } catch (err) {
    log.warn('lock waiter is gone; skipping it', { key, waiter: holder.workflowId, error: String(err) });
    return false;
  }
}
