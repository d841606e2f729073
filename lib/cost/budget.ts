import type pg from 'pg';
import type { Queryable } from '../db/pool.js';
import { DharmaError } from '../errors.js';

export interface Budget {
  environment: string;
  monthlyLimit: number;
  currency: string;
}

export type ReservationState = 'reserved' | 'committed' | 'released';

export interface BudgetReservation {
  id: string;
  environment: string;
  workflowId?: string;
  amount: number;
  currency: string;
  state: ReservationState;
  createdAt: string;
}

export interface ReserveBudgetInput {
  environment: string;
  /** Chosen by the caller (e.g. the deployment's workflow id): reserving again with it changes nothing. */
  reservationId: string;
  /** Monthly cost the change adds (negative when it saves), in the budget's currency. */
  amount: number;
  workflowId?: string;
  currency?: string;
}

export interface ReserveBudgetResult {
  reservation: BudgetReservation;
  /** False when the environment's limit would be exceeded: the deployment then needs an admin's approval. */
  withinBudget: boolean;
  overBudget: boolean;
  /** Null when the environment has no budget (no limit). */
  monthlyLimit: number | null;
  /** Committed plus reserved by other deployments when this one reserved. */
  spent: number;
  /** spent + amount. */
  projected: number;
  currency: string;
}

export class BudgetReservationConflict extends DharmaError {}
export class BudgetReservationNotFound extends DharmaError {}
export class BudgetReservationReleased extends DharmaError {}

const cents = (value: number) => Math.round(value * 100) / 100;

interface ReservationRow {
  id: string;
  environment: string;
  workflow_id: string | null;
  amount: string;
  currency: string;
  state: ReservationState;
  over_budget: boolean;
  spent_before: string;
  monthly_limit: string | null;
  created_at: Date;
}

function toReservation(row: ReservationRow): BudgetReservation {
  return {
    id: row.id,
    environment: row.environment,
    ...(row.workflow_id !== null ? { workflowId: row.workflow_id } : {}),
    amount: Number(row.amount),
    currency: row.currency,
    state: row.state,
    createdAt: row.created_at.toISOString(),
  };
}

function toResult(row: ReservationRow): ReserveBudgetResult {
  const spent = Number(row.spent_before);
  return {
    reservation: toReservation(row),
    withinBudget: !row.over_budget,
    overBudget: row.over_budget,
    monthlyLimit: row.monthly_limit === null ? null : Number(row.monthly_limit),
    spent,
    projected: cents(spent + Number(row.amount)),
    currency: row.currency,
  };
}

export async function setBudget(db: Queryable, budget: Budget): Promise<void> {
  if (!Number.isFinite(budget.monthlyLimit) || budget.monthlyLimit < 0) {
    throw new RangeError(`monthlyLimit: expected a non-negative amount, got ${budget.monthlyLimit}`);
  }
  await db.query(
    `INSERT INTO budgets (environment, monthly_limit, currency) VALUES ($1, $2, $3)
     ON CONFLICT (environment) DO UPDATE SET monthly_limit = EXCLUDED.monthly_limit,
       currency = EXCLUDED.currency, updated_at = now()`,
    [budget.environment, cents(budget.monthlyLimit), budget.currency],
  );
}

export async function getBudget(db: Queryable, environment: string): Promise<Budget | undefined> {
  const { rows } = await db.query<{ monthly_limit: string; currency: string }>(
    'SELECT monthly_limit, currency FROM budgets WHERE environment = $1',
    [environment],
  );
  const row = rows[0];
  return row ? { environment, monthlyLimit: Number(row.monthly_limit), currency: row.currency } : undefined;
}

/**
 * What the environment has spent: committed reservations, plus reserved ones that add cost. A reserved
 * saving (negative amount) only counts once committed, since the deployment may still fail.
 */
export async function budgetSpent(db: Queryable, environment: string, excludeId?: string): Promise<number> {
  const { rows } = await db.query<{ spent: string }>(
    `SELECT coalesce(sum(amount) FILTER (WHERE state = 'committed' OR amount > 0), 0) AS spent
     FROM budget_reservations
     WHERE environment = $1 AND state <> 'released' AND id IS DISTINCT FROM $2`,
    [environment, excludeId ?? null],
  );
  return Number(rows[0]?.spent ?? 0);
}

/**
 * Reserves `amount` of the environment's monthly budget. Over budget is an answer, not an error: the
 * reservation is recorded (it holds the money while an admin decides) and `overBudget` is true. A change
 * that adds no cost is always within budget. Idempotent on reservationId: a retry returns the first
 * decision; the same id with another environment or amount is a BudgetReservationConflict.
 */
export async function reserveBudget(db: pg.Pool, input: ReserveBudgetInput): Promise<ReserveBudgetResult> {
  const { environment, reservationId } = input;
  if (typeof environment !== 'string' || environment === '') {
    throw new TypeError('environment: expected a non-empty string');
  }
  if (typeof reservationId !== 'string' || reservationId === '') {
    throw new TypeError('reservationId: expected a non-empty string');
  }
  if (typeof input.amount !== 'number' || !Number.isFinite(input.amount)) {
    throw new TypeError(`amount: expected a finite number, got ${JSON.stringify(input.amount)}`);
  }
  const amount = cents(input.amount);
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    // Serialises reservations of one environment, so two deployments cannot both fit the last dollars.
    await client.query(`SELECT pg_advisory_xact_lock(hashtext('dharma-budget:' || $1))`, [environment]);
    const existing = await client.query<ReservationRow>('SELECT * FROM budget_reservations WHERE id = $1', [
      reservationId,
    ]);
    const found = existing.rows[0];
    if (found) {
      if (found.environment !== environment || Number(found.amount) !== amount) {
        throw new BudgetReservationConflict(
          `budget reservation ${reservationId} exists for ${found.environment} (${found.amount}), ` +
            `not ${environment} (${amount})`,
        );
      }
      await client.query('COMMIT');
      return toResult(found);
    }
    const budget = await getBudget(client, environment);
    const currency = input.currency ?? budget?.currency ?? 'USD';
    if (budget && budget.currency !== currency) {
      throw new BudgetReservationConflict(
        `currency: the ${environment} budget is in ${budget.currency}, the amount in ${currency}`,
      );
    }
    const spent = await budgetSpent(client, environment);
    const overBudget = budget !== undefined && amount > 0 && spent + amount > budget.monthlyLimit;
    const inserted = await client.query<ReservationRow>(
      `INSERT INTO budget_reservations
         (id, environment, workflow_id, amount, currency, over_budget, spent_before, monthly_limit)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *`,
      [
        reservationId,
        environment,
        input.workflowId ?? null,
        amount,
        currency,
        overBudget,
        spent,
        budget?.monthlyLimit ?? null,
      ],
    );
    await client.query('COMMIT');
    return toResult(inserted.rows[0]!);
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Marks the reservation as spent (the change was applied). Committing twice is harmless. */
export async function commitReservation(db: Queryable, reservationId: string): Promise<BudgetReservation> {
  const { rows } = await db.query<ReservationRow>(
    `UPDATE budget_reservations SET state = 'committed', updated_at = now()
     WHERE id = $1 AND state IN ('reserved', 'committed') RETURNING *`,
    [reservationId],
  );
  if (rows[0]) return toReservation(rows[0]);
  const { rows: other } = await db.query<ReservationRow>('SELECT * FROM budget_reservations WHERE id = $1', [
    reservationId,
  ]);
  if (!other[0]) throw new BudgetReservationNotFound(`budget reservation ${reservationId} does not exist`);
  throw new BudgetReservationReleased(
    `budget reservation ${reservationId} was released and cannot be committed`,
  );
}

/**
 * Gives the money back: the saga's compensation, also after a commit (the resources were destroyed).
 * Idempotent, and a reservation that was never made is nothing to release (undefined).
 */
export async function releaseReservation(
  db: Queryable,
  reservationId: string,
): Promise<BudgetReservation | undefined> {
  const { rows } = await db.query<ReservationRow>(
    `UPDATE budget_reservations SET state = 'released',
       updated_at = CASE WHEN state = 'released' THEN updated_at ELSE now() END
     WHERE id = $1 RETURNING *`,
    [reservationId],
  );
  return rows[0] ? toReservation(rows[0]) : undefined;
}
