import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { DependencyUnavailable, RunAlreadyExists, RunNotFound } from './errors.js';
import type { ApiContext } from './context.js';

/** gRPC status codes DEADLINE_EXCEEDED (4) and UNAVAILABLE (14). */
const UNAVAILABLE_CODES: ReadonlySet<number> = new Set([4, 14]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = error; current !== undefined && chain.length < 10; current = current.cause) {
    chain.push(current);
    if (!(current instanceof Error)) break;
  }
  return chain;
}

/** Whether an error from the Temporal client means the server could not be reached in time. */
export function isTemporalUnreachable(error: unknown): boolean {
  if (isGrpcDeadlineError(error) || error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
  return causes(error).some(
    (e) =>
      (isGrpcServiceError(e) && UNAVAILABLE_CODES.has(e.code)) ||
      (e instanceof Error && /failed to connect before the deadline|transport error/i.test(e.message)),
  );
}

/**
 * Runs Temporal client calls under the API's deadline, so an unreachable server turns into a prompt
 * 503 instead of the client's long internal retry loop, and maps Temporal's errors onto the catalog.
 */
export async function callTemporal<R>(
  ctx: ApiContext,
  fn: () => Promise<R>,
  workflowId?: string,
): Promise<R> {
  try {
    return await ctx.temporal.withDeadline(Date.now() + ctx.temporalTimeoutMs, fn);
  } catch (error) {
    if (workflowId !== undefined && error instanceof WorkflowNotFoundError) throw new RunNotFound(workflowId);
    if (error instanceof WorkflowExecutionAlreadyStartedError) throw new RunAlreadyExists(error.workflowId);
    if (isTemporalUnreachable(error)) throw new DependencyUnavailable('Temporal', error);
    throw error;
  }
}
