import type pg from 'pg';
import type { Queryable } from '../db/pool.js';

/**
 * Remediation records beside an incident: the per-target attempts the rate limit counts, timeline entries
 * of each step, and the failure report. Every write takes the writing activity's `dedupeKey`, so retries
 * and workflow resets add nothing twice.
 */

export async function addTimelineEntry(
  db: Queryable,
  input: { incidentId: string; at: string; kind: string; detail: Record<string, unknown> },
  dedupeKey: string,
): Promise<void> {
  await db.query(
    `INSERT INTO incident_timeline (incident_id, at, kind, detail, dedupe_key)
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING`,
    [input.incidentId, input.at, input.kind, JSON.stringify(input.detail), dedupeKey],
  );
}

export interface SlotRequest {
  incidentId: string;
  target: string;
  playbook: string;
  /** Remediations allowed on the target within `windowMs` before `at`. */
  max: number;
  windowMs: number;
  at: string;
}

/** A granted slot names itself (`slot`), so a remediation that then does not run can give it back. */
export type SlotDecision =
  { granted: true; recent: number; slot: string } | { granted: false; recent: number };

/**
 * Takes one of the target's remediation slots, or says how many were used. Attempts of one target are
 * serialised by an advisory lock, so two incidents on the same target cannot both take the last slot.
 */
export async function reserveRemediationSlot(
  db: pg.Pool,
  request: SlotRequest,
  dedupeKey: string,
): Promise<SlotDecision> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('dharma-remediation:' || $1))`, [
      request.target,
    ]);
    const mine = await client.query('SELECT 1 FROM remediation_attempts WHERE dedupe_key = $1', [dedupeKey]);
    const { rows } = await client.query<{ recent: number }>(
      `SELECT count(*)::int AS recent FROM remediation_attempts
        WHERE target = $1 AND started_at > $2::timestamptz - make_interval(secs => $3 / 1000.0)
          AND dedupe_key <> $4`,
      [request.target, request.at, request.windowMs, dedupeKey],
    );
    const recent = rows[0]?.recent ?? 0;
    // A retry of a reservation that was granted stays granted, whatever happened on the target since.
    if (mine.rowCount === 0 && recent >= request.max) {
      await client.query('ROLLBACK');
      return { granted: false, recent };
    }
    await client.query(
      `INSERT INTO remediation_attempts (target, incident_id, playbook, started_at, dedupe_key)
       VALUES ($1, $2, $3, $4, $5) ON CONFLICT (dedupe_key) DO NOTHING`,
      [request.target, request.incidentId, request.playbook, request.at, dedupeKey],
    );
    await client.query('COMMIT');
    return { granted: true, recent, slot: dedupeKey };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Gives a slot back: the rate limit counts remediations that touched the target, not ones refused by a
 * later check, an approver, or an alert that resolved first. Idempotent.
 */
export async function releaseRemediationSlot(db: Queryable, slot: string): Promise<void> {
  await db.query('DELETE FROM remediation_attempts WHERE dedupe_key = $1', [slot]);
}

export async function setIncidentPlaybook(
  db: Queryable,
  incidentId: string,
  playbook: string,
): Promise<void> {
  await db.query('UPDATE incidents SET playbook = $2 WHERE id = $1', [incidentId, playbook]);
}

export async function storeFailureReport(
  db: Queryable,
  incidentId: string,
  report: Record<string, unknown>,
): Promise<void> {
  await db.query('UPDATE incidents SET failure_report = $2 WHERE id = $1', [
    incidentId,
    JSON.stringify(report),
  ]);
}
