import type { ActivityDeps } from '../deps.js';
import { getWorkspace, markWorkspaceCleaned, WorkspaceNotFound } from '../../lib/artifacts/workspaces.js';
import type { CleanupInput, CleanupOutcome } from './contract.js';
import { toActivityFailure } from './failures.js';
import { dropStateSchema, stateResourceCount } from './state-schema.js';
import { cleanupTarget } from './workspace-input.js';

/**
 * Marks the workspace cleaned, and drops the stack's state schema when the state holds no resources
 * (after a destroy): an empty state carries nothing worth keeping. Idempotent; a deployment's workspace
 * that was never prepared has nothing to clean. Only PostgreSQL is touched (no tofu, no workdir), so
 * the orchestration pool can run it too.
 */
export async function cleanupWorkspace(
  deps: Pick<ActivityDeps, 'db'>,
  input: CleanupInput,
): Promise<CleanupOutcome> {
  const { workspaceId, mayBeMissing } = cleanupTarget(input);
  try {
    // The schema comes from our own row, not from the input: this drops a schema.
    const row = await getWorkspace(deps.db, workspaceId).catch((error: unknown) => {
      if (mayBeMissing && error instanceof WorkspaceNotFound) return undefined;
      throw error;
    });
    if (!row) return { stateDropped: false };
    await markWorkspaceCleaned(deps.db, workspaceId);
    if ((await stateResourceCount(deps.db, row.stateSchema)) > 0) return { stateDropped: false };
    await dropStateSchema(deps.db, row.stateSchema);
    return { stateDropped: true };
  } catch (error) {
    throw toActivityFailure(error);
  }
}
