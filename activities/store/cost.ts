import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import { ArtifactNotFound } from '../../lib/artifacts/store.js';
import {
  BudgetReservationConflict,
  commitReservation,
  releaseReservation,
  reserveBudget,
  type ReserveBudgetResult,
} from '../../lib/cost/budget.js';
import { estimateCost, type CostEstimate } from '../../lib/cost/estimate.js';
import { priceTableFromEnv } from '../../lib/cost/prices/index.js';
import type { PriceTable } from '../../lib/cost/price-table.js';
import { loadPlanJson, PlanJsonInvalid } from '../../lib/deployments/plan-json.js';
import { summarizePlanChanges, type PlanChangeSummary } from '../../lib/risk/features.js';
import { activityOrigin } from '../origin.js';

/** At most this many unpriced resources travel back to the workflow; the total count is always there. */
const UNPRICED_SHOWN = 20;

export interface EstimatePlanCostInput {
  planJsonRef: string;
  /** The blueprint's region: a price table of another region is used with a warning. */
  region?: string;
}

/** The estimate without its per-resource lines: small enough for workflow history whatever the plan. */
export type CostSummary = Omit<CostEstimate, 'resources' | 'unpriced'> & {
  unpriced: CostEstimate['unpriced'];
  unpricedCount: number;
  pricedResources: number;
};

export interface PlanCostAssessment {
  cost: CostSummary;
  /** What the plan changes, counted (the change-risk model's input). */
  changes: PlanChangeSummary;
}

export interface BudgetReservationInput {
  environment: string;
  /** The deployment id: reserving, committing and releasing are idempotent on it. */
  reservationId: string;
  amount: number;
  currency?: string;
}

export interface CostDeploymentInput extends EstimatePlanCostInput {
  environment: string;
  /** The deployment id (see BudgetReservationInput). */
  reservationId: string;
}

/**
 * Cost estimate and budget reservation of a plan (domain section 3); DB-only work on the orchestration pool.
 * The price table is COST_PRICE_TABLE's unless one is given (tests price local resources with their own).
 */
export function createCostActivities(deps: ActivityDeps, table: PriceTable = priceTableFromEnv(deps.env)) {
  const activities = {
    /** Prices the plan with the configured table (version, source and date are part of the result). */
    async estimatePlanCost(input: EstimatePlanCostInput): Promise<PlanCostAssessment> {
      let plan;
      try {
        plan = await loadPlanJson(deps.db, input.planJsonRef);
      } catch (error) {
        if (error instanceof ArtifactNotFound || error instanceof PlanJsonInvalid) {
          throw ApplicationFailure.nonRetryable(error.message, 'InvalidCostInput');
        }
        throw error;
      }
      const { resources, unpriced, ...estimate } = estimateCost(
        plan,
        table,
        input.region !== undefined ? { region: input.region } : {},
      );
      return {
        cost: {
          ...estimate,
          unpriced: unpriced.slice(0, UNPRICED_SHOWN),
          unpricedCount: unpriced.length,
          pricedResources: resources.filter((r) => r.status !== 'unpriced').length,
        },
        changes: summarizePlanChanges(plan),
      };
    },

    /** Holds the amount against the environment's budget; over budget is an answer (overBudget), not an error. */
    async reserveDeploymentBudget(input: BudgetReservationInput): Promise<ReserveBudgetResult> {
      const { workflowId } = activityOrigin();
      try {
        return await reserveBudget(deps.db, {
          environment: input.environment,
          reservationId: input.reservationId,
          amount: input.amount,
          ...(input.currency !== undefined ? { currency: input.currency } : {}),
          ...(workflowId !== undefined ? { workflowId } : {}),
        });
      } catch (error) {
        if (error instanceof BudgetReservationConflict || error instanceof TypeError) {
          throw ApplicationFailure.nonRetryable(error.message, 'BudgetReservationConflict');
        }
        throw error;
      }
    },

    async commitDeploymentBudget(reservationId: string): Promise<void> {
      await commitReservation(deps.db, reservationId);
    },

    /** The compensation of a reservation; releasing one that was never made does nothing. */
    async releaseDeploymentBudget(reservationId: string): Promise<void> {
      await releaseReservation(deps.db, reservationId);
    },

    /**
     * The budget gate in one step: the plan's estimate, reserved at once. One activity, so the saga can
     * run it beside its other gates on another pool without a workflow task in between.
     */
    async costDeployment(
      input: CostDeploymentInput,
    ): Promise<PlanCostAssessment & { budget: ReserveBudgetResult }> {
      const assessed = await activities.estimatePlanCost(input);
      const budget = await activities.reserveDeploymentBudget({
        environment: input.environment,
        reservationId: input.reservationId,
        amount: assessed.cost.monthlyDelta,
        currency: assessed.cost.currency,
      });
      return { ...assessed, budget };
    },
  };
  return activities;
}
