import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import type { Incident } from '../../lib/incidents/repository.js';

export const REMEDIATION_WORKFLOW_TYPE = 'remediation';

/** Every notification for the workflow's fingerprint: firing repeats and the final `resolved`. */
export const alertSignal = defineSignal<[NormalizedAlert]>('alert');

/** The incident as the workflow holds it; carried across continue-as-new. */
export interface IncidentState extends Omit<
  Incident,
  'id' | 'resolvedAt' | 'mttrSeconds' | 'playbook' | 'failureReport'
> {
  incidentId: string;
  /**
   * What triage decided: `remediate` (a playbook runs), else by severity `escalate` (P1/P2, on-call
   * notified) or `watch` (P3 ticket, P4 log).
   */
  decision?: 'remediate' | 'escalate' | 'watch';
  /** The playbook chosen, `<id>@v<version>`. */
  playbook?: string;
  /** Set when the playbook's verification proved the fix: the incident is resolved then. */
  resolvedAt?: string;
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

/** A run that only received resolutions for an incident already closed opens nothing. */
export interface IgnoredResolution {
  status: 'ignored';
  notifications: number;
  reason: string;
}

export type RemediationResult = ResolvedIncident | IgnoredResolution;

export interface ResolvedIncident {
  incidentId: string;
  status: 'resolved';
  /** `verified`: a playbook fixed it and its probes proved it; `alert-resolved`: the alert cleared. */
  resolution?: 'verified' | 'alert-resolved';
  playbook?: string;
  notifications: number;
  resolvedAt: string;
  mttrSeconds: number;
}
