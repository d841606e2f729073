import { DharmaError } from '../errors.js';
import type { Queryable } from './pool.js';

/** One fact for the audit log: who did what to which target, the decision and why. */
export interface AuditEntry {
  actor: string;
  action: string;
  target: string;
  decision?: string;
  reason?: string;
  sourceIp?: string;
  workflowId?: string;
  runId?: string;
  details?: Record<string, unknown>;
  /** Writers that may retry set this; a second append with the same key is dropped. */
  dedupeKey?: string;
}

export interface AuditRecord extends Omit<AuditEntry, 'dedupeKey'> {
  id: number;
  at: string;
  details: Record<string, unknown>;
}

export interface AuditFilter {
  actor?: string;
  action?: string;
  target?: string;
  workflowId?: string;
  since?: Date;
  limit: number;
  /** The `nextCursor` of the previous page. */
  cursor?: string;
}

export interface AuditPage {
  items: AuditRecord[];
  nextCursor?: string;
}

export class InvalidCursor extends DharmaError {
  constructor(readonly cursor: string) {
    super(
      `cursor: expected a value returned as nextCursor by a previous page, got ${JSON.stringify(cursor)}`,
    );
  }
}

export const AUDIT_MAX_LIMIT = 500;

export async function appendAudit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (actor, action, target, decision, reason, source_ip, workflow_id, run_id, details, dedupe_key)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
     ON CONFLICT (dedupe_key) DO NOTHING`,
    [
      entry.actor,
      entry.action,
      entry.target,
      entry.decision ?? null,
      entry.reason ?? null,
      entry.sourceIp ?? null,
      entry.workflowId ?? null,
      entry.runId ?? null,
      JSON.stringify(entry.details ?? {}),
      entry.dedupeKey ?? null,
    ],
  );
}

interface AuditRow {
  id: number;
  at: Date;
  actor: string;
  action: string;
  target: string;
  decision: string | null;
  reason: string | null;
  source_ip: string | null;
  workflow_id: string | null;
  run_id: string | null;
  details: Record<string, unknown>;
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    at: row.at.toISOString(),
    actor: row.actor,
    action: row.action,
    target: row.target,
    ...(row.decision !== null ? { decision: row.decision } : {}),
    ...(row.reason !== null ? { reason: row.reason } : {}),
    ...(row.source_ip !== null ? { sourceIp: row.source_ip } : {}),
    ...(row.workflow_id !== null ? { workflowId: row.workflow_id } : {}),
    ...(row.run_id !== null ? { runId: row.run_id } : {}),
    details: row.details,
  };
}

/**
 * Newest first. Pages are keyed on the id (keyset pagination), so appends between two page requests
 * never shift or repeat rows the way OFFSET would.
 */
export async function listAudit(db: Queryable, filter: AuditFilter): Promise<AuditPage> {
  const limit = Math.min(Math.max(1, Math.trunc(filter.limit)), AUDIT_MAX_LIMIT);
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (filter.actor !== undefined) add('actor = ?', filter.actor);
  if (filter.action !== undefined) add('action = ?', filter.action);
  if (filter.target !== undefined) add('target = ?', filter.target);
  if (filter.workflowId !== undefined) add('workflow_id = ?', filter.workflowId);
  if (filter.since !== undefined) add('at >= ?', filter.since);
  if (filter.cursor !== undefined) {
    if (!/^[1-9]\d{0,15}$/.test(filter.cursor)) throw new InvalidCursor(filter.cursor);
    add('id < ?', Number(filter.cursor));
  }
  params.push(limit + 1);
  const { rows } = await db.query<AuditRow>(
    `SELECT id, at, actor, action, target, decision, reason, source_ip, workflow_id, run_id, details
       FROM audit_log ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY id DESC LIMIT $${params.length}`,
    params,
  );
  const items = rows.slice(0, limit).map(toRecord);
  const last = items[items.length - 1];
  return rows.length > limit && last ? { items, nextCursor: String(last.id) } : { items };
}
