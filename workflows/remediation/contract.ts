import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import type { Incident } from '../../lib/incidents/repository.js';

export const REMEDIATION_WORKFLOW_TYPE = 'remediation';

/** Every notification for the workflow's fingerprint: firing repeats and the final `resolved`. */
export const alertSignal = defineSignal<[NormalizedAlert]>('alert');

/** The incident as the workflow holds it; carried across continue-as-new. */
export interface IncidentState extends Omit<Incident, 'id' | 'resolvedAt' | 'mttrSeconds'> {
  incidentId: string;
  /** What triage decided: `escalate` (P1/P2, on-call notified) or `watch` (P3 ticket, P4 log). */
  decision?: 'escalate' | 'watch';
  /** Continue-as-new count: scopes the idempotency keys of each run's activities. */
  generation: number;
}

export const incidentQuery = defineQuery<IncidentState | null>('incident');

export interface RemediationInput {
  fingerprint: string;
  /** Set when continuing as new. */
  incident?: IncidentState;
  /** Alerts received but not yet handled when the previous run continued as new. */
  pending?: NormalizedAlert[];
}

export interface RemediationResult {
  incidentId: string;
  status: 'resolved';
  notifications: number;
  resolvedAt: string;
  mttrSeconds: number;
}
