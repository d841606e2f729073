import { defineQuery, defineSignal } from '@temporalio/workflow';

/** Workflow id of the lock workflow guarding `key`: one lock workflow per key. */
export function lockWorkflowId(key: string): string {
  return `lock:${key}`;
}

export const LOCK_WORKFLOW_TYPE = 'resourceLock';

export interface LockRequest {
  /** Unique per acquisition (deterministic uuid of the requesting workflow); dedupes retried requests. */
  requestId: string;
  /** The workflow that gets the `lockGranted` signal. */
  workflowId: string;
  /** How long the lock is held without a renewal before it is taken away. */
  leaseMs: number;
}

export interface LockHolder extends LockRequest {
  acquiredAt: string;
  /** Epoch ms; the lease ends here unless renewed. */
  leaseExpiresAt: number;
}

export interface LockWaiter extends LockRequest {
  requestedAt: string;
}

export interface LockWorkflowInput {
  key: string;
  /** Continue-as-new once the history has this many events (or earlier when the server suggests it). */
  maxHistoryEvents?: number;
  /** State carried over by continue-as-new. */
  holder?: LockHolder;
  queue?: LockWaiter[];
  /** Releases that arrived before their request (a cancelled requester); bounded. */
  withdrawn?: string[];
}

export interface LockGrant {
  key: string;
  requestId: string;
  leaseExpiresAt: number;
}

export interface LockState {
  key: string;
  holder?: LockHolder;
  queue: LockWaiter[];
}

/** 0: holds the lock; 1..n: place in the FIFO queue. */
export interface LockPosition {
  requestId: string;
  workflowId: string;
  position: number;
}

export const lockRequestSignal = defineSignal<[LockRequest]>('lockRequest');
/** Releases the lock, or withdraws a request still in the queue. */
export const lockReleaseSignal = defineSignal<[{ requestId: string }]>('lockRelease');
export const lockRenewSignal = defineSignal<[{ requestId: string; leaseMs?: number }]>('lockRenew');
/** Sent by the lock workflow to the requesting workflow. */
export const lockGrantedSignal = defineSignal<[LockGrant]>('lockGranted');

export const lockStateQuery = defineQuery<LockState>('lockState');
/** Position of a request, looked up by request id or by the requesting workflow's id; null if unknown. */
export const lockPositionQuery = defineQuery<LockPosition | null, [string]>('lockPosition');

/** What the `requestLock` activity needs to signal-with-start the lock workflow. */
export interface RequestLockArgs {
  key: string;
  /** Task queue of the lock workflow: the requester's (orchestration) queue. */
  taskQueue: string;
  request: LockRequest;
  maxHistoryEvents?: number;
}
