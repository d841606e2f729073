import type { Queryable } from '../db/pool.js';
import type { Severity } from '../alerts/alert.js';
import { InvalidCursor } from '../db/audit.js';

/** In lifecycle order; migration 0090 holds the same list as a CHECK constraint. */
export const INCIDENT_STATUSES = [
  'detected',
  'triaged',
  'awaiting-approval',
  'remediating',
  'verifying',
  'escalated',
  'resolved',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export interface Incident {
  id: string;
  fingerprint: string;
  source: string;
  alertName: string;
  severity: Severity;
  target: string;
  status: IncidentStatus;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
  mttrSeconds?: number;
  notifications: number;
  /** The playbook chosen for it, `<id>@v<version>`. */
  playbook?: string;
  /** What on-call gets when a remediation did not work (steps, probes, rollback). */
  failureReport?: Record<string, unknown>;
}

export interface TimelineEntry {
  at: string;
  kind: string;
  detail: Record<string, unknown>;
}

/** What opening an incident records; status, counters and resolution follow from later writes. */
export type NewIncident = Pick<
  Incident,
  'id' | 'fingerprint' | 'source' | 'alertName' | 'severity' | 'target' | 'firstSeen'
>;

/**
 * Every write takes a `dedupeKey` (the writing activity's key): the timeline row is inserted once, and the
 * incident is changed only by the statement that inserted it, so a retried activity changes nothing twice.
 */
export async function openIncident(
  db: Queryable,
  incident: NewIncident,
  detail: Record<string, unknown>,
  dedupeKey: string,
): Promise<void> {
  await db.query(
    `WITH created AS (
       INSERT INTO incidents (id, fingerprint, source, alert_name, severity, target, status, first_seen, last_seen)
       VALUES ($1, $2, $3, $4, $5, $6, 'detected', $7, $7)
       ON CONFLICT (id) DO NOTHING
       RETURNING id
     )
     INSERT INTO incident_timeline (incident_id, at, kind, detail, dedupe_key)
     VALUES ($1, $7, 'detected', $8, $9)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      incident.id,
      incident.fingerprint,
      incident.source,
      incident.alertName,
      incident.severity,
      incident.target,
      incident.firstSeen,
      JSON.stringify(detail),
      dedupeKey,
    ],
  );
}

/** Adds `count` notifications (and moves last_seen) once per dedupeKey, with one timeline entry. */
export async function countNotifications(
  db: Queryable,
  input: { incidentId: string; count: number; lastSeen: string; detail: Record<string, unknown> },
  dedupeKey: string,
): Promise<void> {
  await db.query(
    `WITH entry AS (
       INSERT INTO incident_timeline (incident_id, at, kind, detail, dedupe_key)
       VALUES ($1, $3, 'alerts', $4, $5)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING incident_id
     )
     UPDATE incidents SET notifications = notifications + $2, last_seen = GREATEST(last_seen, $3)
     WHERE id IN (SELECT incident_id FROM entry)`,
    [input.incidentId, input.count, input.lastSeen, JSON.stringify(input.detail), dedupeKey],
  );
}

/** Sets the status with a timeline entry of `kind`; resolving also stamps resolved_at and the MTTR. */
export async function changeStatus(
  db: Queryable,
  input: {
    incidentId: string;
    status: IncidentStatus;
    at: string;
    kind: string;
    detail: Record<string, unknown>;
  },
  dedupeKey: string,
): Promise<void> {
  await db.query(
    `WITH entry AS (
       INSERT INTO incident_timeline (incident_id, at, kind, detail, dedupe_key)
       VALUES ($1, $3, $4, $5, $6)
       ON CONFLICT (dedupe_key) DO NOTHING
       RETURNING incident_id
     )
     UPDATE incidents SET status = $2,
       resolved_at = CASE WHEN $2 = 'resolved' THEN $3::timestamptz ELSE resolved_at END,
       mttr_seconds = CASE WHEN $2 = 'resolved'
         THEN EXTRACT(EPOCH FROM ($3::timestamptz - first_seen)) ELSE mttr_seconds END
     WHERE id IN (SELECT incident_id FROM entry)`,
    [input.incidentId, input.status, input.at, input.kind, JSON.stringify(input.detail), dedupeKey],
  );
}

interface IncidentRow {
  id: string;
  fingerprint: string;
  source: string;
  alert_name: string;
  severity: Severity;
  target: string;
  status: IncidentStatus;
  first_seen: Date;
  last_seen: Date;
  resolved_at: Date | null;
  mttr_seconds: number | null;
  notifications: number;
  playbook: string | null;
  failure_report: Record<string, unknown> | null;
}

function fromRow(row: IncidentRow): Incident {
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    source: row.source,
    alertName: row.alert_name,
    severity: row.severity,
    target: row.target,
    status: row.status,
    firstSeen: row.first_seen.toISOString(),
    lastSeen: row.last_seen.toISOString(),
    ...(row.resolved_at ? { resolvedAt: row.resolved_at.toISOString() } : {}),
    ...(row.mttr_seconds !== null ? { mttrSeconds: row.mttr_seconds } : {}),
    notifications: row.notifications,
    ...(row.playbook !== null ? { playbook: row.playbook } : {}),
    ...(row.failure_report !== null ? { failureReport: row.failure_report } : {}),
  };
}

export const INCIDENTS_MAX_LIMIT = 500;

export interface IncidentFilter {
  status?: IncidentStatus;
  severity?: Severity;
  target?: string;
  fingerprint?: string;
  /** Only incidents first seen at or after this time. */
  since?: Date;
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface IncidentPage {
  items: Incident[];
  nextCursor?: string;
}

/** The cursor is the (first_seen, id) key of a page's last row; opaque to clients. */
function encodeCursor(incident: Incident): string {
  return Buffer.from(`${incident.firstSeen}|${incident.id}`).toString('base64url');
}

/** What encodeCursor writes: a PostgreSQL timestamp far from its range limits (unlike any Date). */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$/;

function decodeCursor(cursor: string): [Date, string] {
  const [at, ...id] = Buffer.from(cursor, 'base64url').toString().split('|');
  const firstSeen = new Date(at ?? '');
  if (id.length === 0 || !CURSOR_TIME.test(at ?? '') || Number.isNaN(firstSeen.getTime())) {
    throw new InvalidCursor(cursor);
  }
  return [firstSeen, id.join('|')];
}

/**
 * Newest first. Pages are keyed on (first_seen, id) rather than OFFSET, so incidents opened between two page
 * requests never shift or repeat rows.
 */
export async function pageIncidents(db: Queryable, filter: IncidentFilter): Promise<IncidentPage> {
  const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), INCIDENTS_MAX_LIMIT);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    where.push(clause.replace(/\?/g, () => `$${params.push(values.shift())}`));
  };
  if (filter.status !== undefined) add('status = ?', filter.status);
  if (filter.severity !== undefined) add('severity = ?', filter.severity);
  if (filter.target !== undefined) add('target = ?', filter.target);
  if (filter.fingerprint !== undefined) add('fingerprint = ?', filter.fingerprint);
  if (filter.since !== undefined) add('first_seen >= ?', filter.since);
  if (filter.cursor !== undefined) {
    const [firstSeen, id] = decodeCursor(filter.cursor);
    // The plain bound lets the first_seen index narrow the scan; the row comparison breaks ties on id.
    add('first_seen <= ? AND (first_seen, id) < (?, ?)', firstSeen, firstSeen, id);
  }
  params.push(limit + 1);
  const { rows } = await db.query<IncidentRow>(
    `SELECT * FROM incidents ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY first_seen DESC, id DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, limit).map(fromRow);
  const last = items[items.length - 1];
  return rows.length > limit && last ? { items, nextCursor: encodeCursor(last) } : { items };
}

export async function listIncidents(db: Queryable, filter: IncidentFilter): Promise<Incident[]> {
  return (await pageIncidents(db, filter)).items;
}

export async function getIncident(
  db: Queryable,
  id: string,
): Promise<(Incident & { timeline: TimelineEntry[] }) | undefined> {
  const { rows } = await db.query<IncidentRow>('SELECT * FROM incidents WHERE id = $1', [id]);
  const row = rows[0];
  if (!row) return undefined;
  const timeline = await db.query<{ at: Date; kind: string; detail: Record<string, unknown> }>(
    'SELECT at, kind, detail FROM incident_timeline WHERE incident_id = $1 ORDER BY at, id',
    [id],
  );
  return {
    ...fromRow(row),
    timeline: timeline.rows.map((entry) => ({
      at: entry.at.toISOString(),
      kind: entry.kind,
      detail: entry.detail,
    })),
  };
}
