import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  budgetSpent,
  BudgetReservationConflict,
  BudgetReservationNotFound,
  BudgetReservationReleased,
  commitReservation,
  getBudget,
  releaseReservation,
  reserveBudget,
  setBudget,
} from '../../lib/cost/budget.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';

const services = await testServices();
const { db } = await freshDatabase(services);

let environments = 0;
/** Each test gets its own environment with a $500/month budget. */
async function environment(monthlyLimit = 500): Promise<string> {
  const name = `env-${++environments}`;
  await setBudget(db, { environment: name, monthlyLimit, currency: 'USD' });
  return name;
}

describe('environment budgets', () => {
  it('store a monthly limit per environment', async () => {
    const env = await environment(250);
    assert.deepEqual(await getBudget(db, env), { environment: env, monthlyLimit: 250, currency: 'USD' });
    await setBudget(db, { environment: env, monthlyLimit: 300.5, currency: 'USD' });
    assert.equal((await getBudget(db, env))?.monthlyLimit, 300.5);
    assert.equal(await getBudget(db, 'nowhere'), undefined);
  });

  it('accept reservations while committed + reserved + amount stays within the limit', async () => {
    const env = await environment(200);
    const first = await reserveBudget(db, { environment: env, reservationId: 'a', amount: 91.1 });
    assert.deepEqual(
      [first.withinBudget, first.overBudget, first.spent, first.projected, first.monthlyLimit],
      [true, false, 0, 91.1, 200],
    );
    await commitReservation(db, 'a');
    const second = await reserveBudget(db, { environment: env, reservationId: 'b', amount: 108.9 });
    assert.deepEqual([second.withinBudget, second.spent, second.projected], [true, 91.1, 200]);
    assert.equal(await budgetSpent(db, env), 200);
  });

  it('answer overBudget with the figures (no exception) and still hold the reservation', async () => {
    const env = await environment(100);
    await reserveBudget(db, { environment: env, reservationId: 'c1', amount: 60 });
    const over = await reserveBudget(db, {
      environment: env,
      reservationId: 'c2',
      amount: 50,
      workflowId: 'deploy-c2',
    });
    assert.equal(over.overBudget, true);
    assert.equal(over.withinBudget, false);
    assert.deepEqual([over.monthlyLimit, over.spent, over.projected], [100, 60, 110]);
    assert.equal(over.reservation.state, 'reserved');
    assert.equal(over.reservation.workflowId, 'deploy-c2');
  });

  it('are idempotent on the reservation id: a retry returns the first decision', async () => {
    const env = await environment(100);
    const first = await reserveBudget(db, { environment: env, reservationId: 'd1', amount: 80 });
    await reserveBudget(db, { environment: env, reservationId: 'd2', amount: 10 });
    const retry = await reserveBudget(db, { environment: env, reservationId: 'd1', amount: 80 });
    assert.deepEqual(retry, first);
    assert.equal(await budgetSpent(db, env), 90, 'reserved once');
    await assert.rejects(
      reserveBudget(db, { environment: env, reservationId: 'd1', amount: 81 }),
      BudgetReservationConflict,
    );
  });

  it('serialise concurrent reservations: only what fits is within budget', async () => {
    const env = await environment(100);
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map((i) => reserveBudget(db, { environment: env, reservationId: `e${i}`, amount: 30 })),
    );
    assert.equal(results.filter((r) => r.withinBudget).length, 3);
    assert.equal(results.filter((r) => r.overBudget).length, 2);
  });

  it('never block a change that adds no cost, and count a saving only once committed', async () => {
    const env = await environment(100);
    await reserveBudget(db, { environment: env, reservationId: 'f1', amount: 150 });
    const saving = await reserveBudget(db, { environment: env, reservationId: 'f2', amount: -40 });
    assert.equal(saving.withinBudget, true);
    assert.equal(await budgetSpent(db, env), 150, 'a reserved saving does not count yet');
    await commitReservation(db, 'f2');
    assert.equal(await budgetSpent(db, env), 110);
  });

  it('have no limit in an environment without a budget', async () => {
    const result = await reserveBudget(db, { environment: 'unbudgeted', reservationId: 'g1', amount: 1e6 });
    assert.deepEqual([result.withinBudget, result.monthlyLimit], [true, null]);
  });

  it('release reservations idempotently (the saga compensation), also after a commit', async () => {
    const env = await environment(100);
    await reserveBudget(db, { environment: env, reservationId: 'h1', amount: 70 });
    await reserveBudget(db, { environment: env, reservationId: 'h2', amount: 20 });
    await commitReservation(db, 'h2');
    assert.equal((await releaseReservation(db, 'h1'))?.state, 'released');
    assert.equal((await releaseReservation(db, 'h1'))?.state, 'released');
    assert.equal(
      (await releaseReservation(db, 'h2'))?.state,
      'released',
      'a destroyed deployment gives back',
    );
    assert.equal(await budgetSpent(db, env), 0);
    assert.equal(await releaseReservation(db, 'never-made'), undefined);
    const after = await reserveBudget(db, { environment: env, reservationId: 'h3', amount: 100 });
    assert.equal(after.withinBudget, true, 'released money is available again');
  });

  it('commit idempotently, but never a released or unknown reservation', async () => {
    const env = await environment();
    await reserveBudget(db, { environment: env, reservationId: 'i1', amount: 10 });
    assert.equal((await commitReservation(db, 'i1')).state, 'committed');
    assert.equal((await commitReservation(db, 'i1')).state, 'committed');
    await releaseReservation(db, 'i1');
    await assert.rejects(commitReservation(db, 'i1'), BudgetReservationReleased);
    await assert.rejects(commitReservation(db, 'nope'), BudgetReservationNotFound);
  });

  it('reject bad input naming the field', async () => {
    await assert.rejects(
      reserveBudget(db, { environment: '', reservationId: 'x', amount: 1 }),
      /environment: expected/,
    );
    await assert.rejects(
      reserveBudget(db, { environment: 'e', reservationId: 'x', amount: Number.NaN }),
      /amount: expected a finite number/,
    );
    await assert.rejects(
      reserveBudget(db, { environment: await environment(), reservationId: 'x', amount: 1, currency: 'EUR' }),
      /currency: the env-\d+ budget is in USD, the amount in EUR/,
    );
  });
});
