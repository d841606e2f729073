import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { PlaybookSelection } from '../../activities/store/remediation.js';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import type { IncidentStatus } from '../../lib/incidents/repository.js';
import type { Playbook } from '../../lib/playbooks/schema.js';
import { createApprovalGate } from '../lib/approval.js';
import { trackProgress } from '../lib/progress.js';
import { remediationActivities } from './activities.js';
import {
  alertSignal,
  incidentQuery,
  type IncidentState,
  type RemediationInput,
  type RemediationResult,
  type ResolvedIncident,
} from './contract.js';
import { runPlaybook } from './playbook-run.js';
import { failureMessage } from './verify.js';

/** Histories recorded before playbooks ran triage by severity alone; they replay down that path. */
const PLAYBOOKS_PATCH = 'remediation-runs-playbooks';
/** Histories recorded before the incident writes became local activities schedule them on the queue. */
const LOCAL_WRITES_PATCH = 'remediation-local-writes';

type Decision = NonNullable<IncidentState['decision']>;

/**
 * One incident per alert fingerprint (workflow id `incident-<fingerprint>`): the webhook signals every
 * notification here, so repeats are counted on one incident instead of opening new ones. Detect, pick a
 * playbook and run it (pre-checks, approval, steps, verification, rollback and escalation when it does
 * not work); without one, triage by severity. Resolved by a verified playbook or when the alert clears.
 */
export async function remediation(input: RemediationInput): Promise<RemediationResult> {
  const activities = remediationActivities(patched(LOCAL_WRITES_PATCH));
  const { store } = activities;
  const gate = createApprovalGate();

  let incident: IncidentState | undefined = input.incident;
  const queue: NormalizedAlert[] = [...(input.pending ?? [])];
  let alertResolved = false;
  const report = trackProgress('waiting', 'waiting for alerts');
  setHandler(alertSignal, (alert) => {
    queue.push(alert);
    if (alert.status === 'resolved') alertResolved = true;
  });
  setHandler(incidentQuery, () => incident ?? null);

  for (;;) {
    await condition(() => queue.length > 0);
    const batch = queue.splice(0);
    const first = batch[0]!;
    // Only resolutions and no open incident: the occurrence was closed already (e.g. healed and verified
    // before the source sent its `resolved`), so there is nothing to open.
    if (!incident && batch.every((a) => a.status === 'resolved') && patched(PLAYBOOKS_PATCH)) {
      if (queue.length === 0)
        return { status: 'ignored', notifications: batch.length, reason: 'resolution of a closed incident' };
      continue;
    }
    if (!incident) {
      incident = await detect(first);
      if (patched(PLAYBOOKS_PATCH)) {
        await respond(incident, first);
        // Notifications that came in while the playbook ran belong to this incident.
        batch.push(...queue.splice(0));
      } else {
        incident.decision = await triage(incident);
      }
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

    if (current.resolvedAt) return result(current, current.resolvedAt, 'verified');
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
    await activities.events.publishEvent({
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

  /** Picks a playbook (rules, then the classifier) and runs it; without one, triage by severity. */
  async function respond(opened: IncidentState, alert: NormalizedAlert): Promise<void> {
    const playbook = await choosePlaybook(opened, alert);
    if (!playbook) return;
    opened.decision = 'remediate';
    opened.playbook = `${playbook.id}@v${playbook.version}`;
    await store.setIncidentPlaybook({ incidentId: opened.incidentId, playbook: opened.playbook });
    const setStatus = async (status: IncidentStatus, kind: string, detail: Record<string, unknown>) => {
      opened.status = status;
      await store.changeIncidentStatus({
        scope: 'g0',
        incidentId: opened.incidentId,
        status,
        at: now(),
        kind,
        detail,
      });
    };
    const outcome = await runPlaybook(
      {
        incident: opened,
        alert,
        activities,
        gate,
        alertResolved: () => alertResolved,
        setStatus,
        record: (kind, detail) =>
          store.recordIncidentStep({ scope: 'g0', incidentId: opened.incidentId, at: now(), kind, detail }),
        progress: (step) => report(opened.status, step),
      },
      playbook,
    );
    if (outcome.kind === 'verified') {
      await setStatus('resolved', 'resolved', { playbook: opened.playbook, resolution: 'verified' });
      opened.resolvedAt = outcome.resolvedAt;
      report('resolved', `${opened.playbook} fixed ${opened.alertName} on ${opened.target}, verified`);
    }
  }

  async function choosePlaybook(
    opened: IncidentState,
    alert: NormalizedAlert,
  ): Promise<Playbook | undefined> {
    report('triaging', `choosing a playbook for ${alert.alertName}`);
    let selection: PlaybookSelection;
    let classification;
    try {
      selection = await store.selectPlaybook({ alert });
      if (selection.kind === 'classify') {
        classification = await activities.ml.classifyAlert({
          alertName: alert.alertName,
          summary: alert.annotations.summary ?? alert.annotations.description ?? '',
          labels: alert.labels,
        });
        selection = await store.selectPlaybook({ alert, classification });
      }
    } catch (error) {
      // Broken playbook files or an unreachable classifier must not lose the incident: a person takes it.
      // A local activity's failure arrives as its ApplicationFailure, a remote one's as an ActivityFailure.
      if (!(error instanceof ActivityFailure || error instanceof ApplicationFailure)) throw error;
      selection = { kind: 'escalate', reason: `no playbook could be chosen: ${failureMessage(error)}` };
    }
    if (selection.kind === 'rule' || selection.kind === 'classifier') {
      await store.changeIncidentStatus({
        scope: 'g0',
        incidentId: opened.incidentId,
        status: 'triaged',
        at: now(),
        kind: 'triaged',
        detail: {
          severity: opened.severity,
          decision: 'remediate',
          playbook: `${selection.playbook.id}@v${selection.playbook.version}`,
          matchedBy: selection.kind,
          ...(selection.kind === 'rule' ? { candidates: selection.candidates } : {}),
          ...(selection.kind === 'classifier' ? { classification: selection.classification } : {}),
        },
      });
      opened.status = 'triaged';
      return selection.playbook;
    }
    if (selection.kind === 'escalate')
      opened.decision = await triage(opened, selection.reason, classification);
    return undefined;
  }

  /**
   * Severity triage when no playbook applies (domain section 5: P1 pages on-call, P2 notifies the team,
   * P3 is a ticket, P4 a log line).
   */
  async function triage(opened: IncidentState, reason?: string, classification?: unknown): Promise<Decision> {
    const decision: Decision = opened.severity === 'P1' || opened.severity === 'P2' ? 'escalate' : 'watch';
    opened.status = decision === 'escalate' ? 'escalated' : 'triaged';
    report(opened.status, `triaged as ${opened.severity}: ${decision}`);
    if (decision === 'escalate') {
      await activities.notify.notify({
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
      detail: {
        severity: opened.severity,
        decision,
        playbook: null,
        ...(reason ? { reason } : {}),
        ...(classification ? { classification } : {}),
      },
    });
    return decision;
  }

  async function resolve(current: IncidentState): Promise<ResolvedIncident> {
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
    return result(current, resolvedAt, 'alert-resolved');
  }

  async function result(
    current: IncidentState,
    resolvedAt: string,
    resolution: NonNullable<ResolvedIncident['resolution']>,
  ): Promise<ResolvedIncident> {
    // A firing alert that arrived after the resolution is a new occurrence: a fresh run, a new incident.
    if (queue.length > 0) {
      await continueAsNew<typeof remediation>({ fingerprint: input.fingerprint, pending: queue.splice(0) });
    }
    return {
      incidentId: current.incidentId,
      status: 'resolved',
      ...(current.decision === 'remediate' ? { resolution } : {}),
      ...(current.playbook ? { playbook: current.playbook } : {}),
      notifications: current.notifications,
      resolvedAt,
      mttrSeconds: (Date.parse(resolvedAt) - Date.parse(current.firstSeen)) / 1000,
    };
  }
}

function now(): string {
  return new Date().toISOString();
}
