import {
  condition,
  continueAsNew,
  setHandler,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import type { createEventsActivities } from '../../activities/events/index.js';
import type { createNotifyActivities } from '../../activities/notify/index.js';
import type { IncidentActivities } from '../../activities/store/incidents.js';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import { poolActivities } from '../lib/pool-activities.js';
import { progressQuery, type RunProgress } from '../lib/progress.js';
import {
  alertSignal,
  incidentQuery,
  type IncidentState,
  type RemediationInput,
  type RemediationResult,
} from './contract.js';

/** Store writes are idempotent, so they retry without limit until PostgreSQL is back. */
const STORE_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '1m' },
} as const satisfies ActivityOptions;

/** Domain resilience defaults for the on-call webhook: 3 attempts, 1 s initial, doubling. */
const NOTIFY_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '15s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
} as const satisfies ActivityOptions;

type Decision = NonNullable<IncidentState['decision']>;

/**
 * One incident per alert fingerprint (workflow id `incident-<fingerprint>`): the webhook signals every
 * notification here, so repeats are counted on one incident instead of opening new ones. Detect, triage,
 * wait for the alert to resolve, close with the MTTR.
 */
export async function remediation(input: RemediationInput): Promise<RemediationResult> {
  const store = poolActivities<IncidentActivities>('orchestration', STORE_ACTIVITY_OPTIONS);
  const { publishEvent } = poolActivities<ReturnType<typeof createEventsActivities>>(
    'orchestration',
    STORE_ACTIVITY_OPTIONS,
  );
  const { notify } = poolActivities<ReturnType<typeof createNotifyActivities>>(
    'orchestration',
    NOTIFY_ACTIVITY_OPTIONS,
  );

  let incident: IncidentState | undefined = input.incident;
  const queue: NormalizedAlert[] = [...(input.pending ?? [])];
  let progress: RunProgress = { state: 'waiting', step: 'waiting for alerts', updatedAt: now() };
  const report = (state: string, step: string) => {
    progress = { state, step, updatedAt: now() };
  };
  setHandler(alertSignal, (alert) => {
    queue.push(alert);
  });
  setHandler(incidentQuery, () => incident ?? null);
  setHandler(progressQuery, () => progress);

  for (;;) {
    await condition(() => queue.length > 0);
    const batch = queue.splice(0);
    const first = batch[0]!;
    if (!incident) {
      incident = await detect(first);
      incident.decision = await triage(incident);
    }
    const current = incident;
    const scope = `g${current.generation}`;
    current.notifications += batch.length;
    current.lastSeen = now();
    await store.countIncidentAlerts({
      scope,
      incidentId: current.incidentId,
      count: batch.length,
      lastSeen: current.lastSeen,
      detail: {
        firing: batch.filter((a) => a.status === 'firing').length,
        resolved: batch.filter((a) => a.status === 'resolved').length,
      },
    });

    if (batch.some((alert) => alert.status === 'resolved')) return resolve(current);

    report(current.status, `${current.alertName} on ${current.target}: ${current.notifications} alerts`);
    // Long storms make long histories: hand the incident and anything still queued to a fresh run.
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof remediation>({
        fingerprint: input.fingerprint,
        incident: { ...current, generation: current.generation + 1 },
        pending: queue.splice(0),
      });
    }
  }

  async function detect(alert: NormalizedAlert): Promise<IncidentState> {
    const info = workflowInfo();
    const opened: IncidentState = {
      // The run that opened the incident names it: unique per occurrence, stable across retries.
      incidentId: info.runId,
      fingerprint: input.fingerprint,
      source: alert.source,
      alertName: alert.alertName,
      severity: alert.severity,
      target: alert.target,
      status: 'detected',
      firstSeen: now(),
      lastSeen: now(),
      notifications: 0,
      generation: 0,
    };
    report('detected', `${alert.alertName} (${alert.severity}) on ${alert.target}`);
    await store.openIncident({
      scope: 'g0',
      incident: {
        id: opened.incidentId,
        fingerprint: opened.fingerprint,
        source: opened.source,
        alertName: opened.alertName,
        severity: opened.severity,
        target: opened.target,
        firstSeen: opened.firstSeen,
      },
      detail: { labels: alert.labels, annotations: alert.annotations, startsAt: alert.startsAt },
    });
    await publishEvent({
      scope: 'g0',
      eventType: 'IncidentDetected',
      aggregateId: opened.incidentId,
      aggregateType: 'incident',
      data: {
        fingerprint: opened.fingerprint,
        source: opened.source,
        alertName: opened.alertName,
        severity: opened.severity,
        target: opened.target,
        labels: alert.labels,
      },
    });
    return opened;
  }

  /**
   * Severity-only triage for now (domain section 5: P1 pages on-call, P2 notifies the team, P3 is a
   * ticket, P4 a log line). This is where playbook selection plugs in: a matching playbook will
   * remediate instead of escalating.
   */
  async function triage(opened: IncidentState): Promise<Decision> {
    const decision: Decision = opened.severity === 'P1' || opened.severity === 'P2' ? 'escalate' : 'watch';
    opened.status = decision === 'escalate' ? 'escalated' : 'triaged';
    report(opened.status, `triaged as ${opened.severity}: ${decision}`);
    if (decision === 'escalate') {
      await notify({
        kind: 'incident.escalated',
        text: `[${opened.severity}] ${opened.alertName} on ${opened.target}: no playbook, on-call please take it (incident ${opened.incidentId}).`,
      });
    }
    await store.changeIncidentStatus({
      scope: 'g0',
      incidentId: opened.incidentId,
      status: opened.status,
      at: now(),
      kind: decision === 'escalate' ? 'escalated' : 'triaged',
      detail: { severity: opened.severity, decision, playbook: null },
    });
    return decision;
  }

  async function resolve(current: IncidentState): Promise<RemediationResult> {
    const resolvedAt = now();
    current.status = 'resolved';
    report('resolved', `${current.alertName} on ${current.target} resolved`);
    await store.changeIncidentStatus({
      scope: `g${current.generation}`,
      incidentId: current.incidentId,
      status: 'resolved',
      at: resolvedAt,
      kind: 'resolved',
      detail: { notifications: current.notifications },
    });
    // A firing alert that arrived after the resolution is a new occurrence: a fresh run, a new incident.
    if (queue.length > 0) {
      await continueAsNew<typeof remediation>({ fingerprint: input.fingerprint, pending: queue.splice(0) });
    }
    return {
      incidentId: current.incidentId,
      status: 'resolved',
      notifications: current.notifications,
      resolvedAt,
      mttrSeconds: (Date.parse(resolvedAt) - Date.parse(current.firstSeen)) / 1000,
    };
  }
}

function now(): string {
  return new Date().toISOString();
}
