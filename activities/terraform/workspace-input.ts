import { workspaceIdFor } from '../../lib/artifacts/workspaces.js';
import type { CleanupInput, PreparedWorkspace } from './contract.js';
import { invalidInput } from './failures.js';

/** The workspace a step was given, checked field by field (workflows send whatever they recorded). */
export function checkWorkspace(input: { workspace?: PreparedWorkspace } | undefined): PreparedWorkspace {
  const ws = input?.workspace;
  if (!ws || typeof ws !== 'object') throw invalidInput('workspace', 'the result of prepareWorkspace');
  for (const field of ['workspaceId', 'configRef', 'configHash', 'stateSchema'] as const) {
    if (typeof ws[field] !== 'string' || ws[field] === '') {
      throw invalidInput(`workspace.${field}`, 'a non-empty string (from prepareWorkspace)');
    }
  }
  return ws;
}

/** The workspace id cleanupWorkspace works on, and whether no such workspace is fine (never prepared). */
export function cleanupTarget(input: CleanupInput | undefined): {
  workspaceId: string;
  mayBeMissing: boolean;
} {
  if (!input || !('deployment' in input)) {
    return { workspaceId: checkWorkspace(input).workspaceId, mayBeMissing: false };
  }
  const { deployment } = input;
  for (const field of ['deploymentId', 'stack', 'environment'] as const) {
    if (typeof deployment?.[field] !== 'string' || deployment[field] === '') {
      throw invalidInput(`deployment.${field}`, 'a non-empty string (as given to prepareWorkspace)');
    }
  }
  return {
    workspaceId: workspaceIdFor(deployment.deploymentId, deployment.stack, deployment.environment),
    mayBeMissing: true,
  };
}
