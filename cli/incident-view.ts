import type { Incident, TimelineEntry } from '../lib/incidents/repository.js';
import { table } from './output.js';

export type IncidentDetail = Incident & { timeline: TimelineEntry[] };

/** 45 -> 45s, 754 -> 12m 34s, 7260 -> 2h 1m: the unit an on-call person reads MTTR in. */
export function formatDuration(seconds: number | undefined): string | undefined {
  if (seconds === undefined) return undefined;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function incidentTable(items: readonly Incident[]): string {
  const head = ['Incident', 'Severity', 'Status', 'Alert', 'Target', 'Playbook', 'First seen', 'MTTR'];
  return table(
    head,
    items.map((i) => [
      i.id,
      i.severity,
      i.status,
      i.alertName,
      i.target,
      i.playbook,
      i.firstSeen,
      formatDuration(i.mttrSeconds),
    ]),
  );
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** Probe or pre-check results (`{ kind, passed, detail }[]`) as `http ok, tcp FAILED (refused)`. */
function results(value: unknown): string | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  return value
    .map((r: { kind?: unknown; passed?: unknown; detail?: unknown }) =>
      r.passed === true ? `${String(r.kind)} ok` : `${String(r.kind)} FAILED (${String(r.detail)})`,
    )
    .join(', ');
}

/**
 * One line out of a timeline entry's detail, whatever its kind: the fields a person scans for (decision,
 * playbook, stage, step outcome, probe results, reason), in that order; labels and params are left to --json.
 */
export function summarizeDetail(detail: Record<string, unknown>): string {
  const parts: Array<string | undefined> = [];
  const decision = text(detail.decision);
  if (decision) {
    const by = text(detail.approver);
    parts.push(`decision ${decision}${by ? ` by ${by}` : ''}`);
  }
  const playbook = text(detail.playbook);
  if (playbook) parts.push(`playbook ${playbook}`);
  const stage = text(detail.stage);
  if (stage) parts.push(`stage ${stage}`);
  const action = text(detail.action);
  if (action) {
    const outcome = detail.ok === true ? 'ok' : `failed: ${text(detail.error) ?? 'unknown'}`;
    parts.push(`${text(detail.name) ?? action} (${action}) ${outcome}`);
  }
  const checks = results(detail.checks) ?? results(detail.results);
  if (checks) parts.push(checks);
  if (typeof detail.firing === 'number' || typeof detail.resolved === 'number')
    parts.push(`${Number(detail.firing ?? 0)} firing, ${Number(detail.resolved ?? 0)} resolved`);
  const window = text(detail.window);
  if (window) parts.push(`window ${window}`);
  parts.push(text(detail.summary), text(detail.reason), text(detail.resolution));
  return parts.filter((p): p is string => p !== undefined).join('; ');
}

/** The failure report stored when a fix did not work: where it failed, why, and what was undone. */
function failureLines(report: Record<string, unknown>): Array<[string, string | undefined]> {
  const rollback = Array.isArray(report.rollback) ? (report.rollback as Array<{ ok?: unknown }>) : [];
  const steps = Array.isArray(report.steps) ? report.steps.length : 0;
  return [
    ['Failed at', text(report.stage)],
    ['Reason', text(report.reason)],
    ['Steps run', String(steps)],
    [
      'Rolled back',
      rollback.length > 0
        ? `${rollback.filter((r) => r.ok === true).length}/${rollback.length} rollback steps ok`
        : 'nothing',
    ],
  ];
}

/** `incidents show`: the incident, its failure report when a fix did not work, then the timeline. */
export function describeIncident(incident: IncidentDetail): string {
  const lines: Array<[string, string | undefined]> = [
    ['Incident', incident.id],
    ['Alert', incident.alertName],
    ['Severity', incident.severity],
    ['Status', incident.status],
    ['Target', incident.target],
    ['Source', incident.source],
    ['Fingerprint', incident.fingerprint],
    ['Playbook', incident.playbook],
    ['First seen', incident.firstSeen],
    ['Last seen', incident.lastSeen],
    ['Notifications', String(incident.notifications)],
    ['Resolved', incident.resolvedAt],
    ['MTTR', formatDuration(incident.mttrSeconds)],
    ...(incident.failureReport ? failureLines(incident.failureReport) : []),
  ];
  const facts = lines
    .filter((line): line is [string, string] => line[1] !== undefined && line[1] !== '')
    .map(([key, value]) => `${`${key}:`.padEnd(15)}${value}`)
    .join('\n');
  const timeline =
    incident.timeline.length > 0
      ? table(
          ['Time', 'Kind', 'Detail'],
          incident.timeline.map((e) => [e.at, e.kind, summarizeDetail(e.detail)]),
        )
      : 'no timeline entries';
  return `${facts}\n\nTimeline:\n${timeline}`;
}
