import type { DriftOutcome } from '../../activities/terraform/contract.js';
import type { ProvisionSettings } from '../provision/contract.js';

export { progressQuery } from '../lib/progress.js';

export const DRIFT_CHECK_WORKFLOW_TYPE = 'driftCheck';

/** Id of the Temporal Schedule that checks a deployed stack for drift. */
export function driftScheduleId(stack: string, environment: string): string {
  return `drift-${stack}-${environment}`;
}

export interface DriftCheckInput {
  blueprintId: string;
  stack: string;
  environment: string;
  /** Start a provision run (through the usual approval path) when drift is found. */
  reconcile: boolean;
  /** Who the reconcile run is requested by. */
  requester: string;
  settings: ProvisionSettings;
}

export interface DriftCheckResult {
  status: 'in_sync' | 'drifted' | 'not_deployed';
  /** The deployment whose version was compared with the real infrastructure. */
  deploymentId?: string;
  version?: string;
  /** The variable values of that deployment (a reconcile run uses them again). */
  variables?: Record<string, unknown>;
  drift?: Pick<DriftOutcome, 'summary' | 'planJsonRef'>;
  /** Workflow id of the reconcile provision run, when one was started. */
  reconcileWorkflowId?: string;
}
