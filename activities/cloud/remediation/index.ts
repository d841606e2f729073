import type { ActivityDeps } from '../../deps.js';
import { createLogRotationActions } from './log-rotation.js';
import { createPostgresConnectionActions } from './postgres-connections.js';
import { createSupervisedProcessActions } from './supervised-process.js';
import { createWorkerScaleActions } from './worker-scale.js';

export { INVALID_REMEDIATION_INPUT, REMEDIATION_REFUSED } from './input.js';
export type { RotateLogsInput, RotateLogsResult, RotatedFile } from './log-rotation.js';
export type {
  SessionCounts,
  TerminateIdleConnectionsInput,
  TerminateIdleConnectionsResult,
} from './postgres-connections.js';
export type { RestartSupervisedProcessInput, RestartSupervisedProcessResult } from './supervised-process.js';
export type { ScaleWorkerPoolInput, ScaleWorkerPoolResult } from './worker-scale.js';

/**
 * Local remediation actions of the cloud pool (playbook steps that work on a laptop). Each returns what it
 * did, so verification and rollback can use it; bad input and allow-list refusals fail without retrying.
 */
export function createRemediationActions(deps: Pick<ActivityDeps, 'db' | 'env'>) {
  return {
    ...createPostgresConnectionActions(deps),
    ...createLogRotationActions(deps),
    ...createSupervisedProcessActions(deps),
    ...createWorkerScaleActions(deps),
  };
}
