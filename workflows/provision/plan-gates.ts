import { workflowInfo } from '@temporalio/workflow';
import type { CostSummary } from '../../activities/store/cost.js';
import type { DeploymentBlueprint } from '../../activities/store/deployments.js';
import type { ReserveBudgetResult } from '../../lib/cost/budget.js';
import type { PlanOutcome } from '../../activities/terraform/contract.js';
import type { Saga } from '../lib/saga.js';
import type { ProvisionActivities } from './activities.js';
import type { DeploymentView, ProvisionInput } from './contract.js';
import { costEvent, guardrailsEvent, planViewOf, type RecordStep } from './deployment-record.js';
import { approvalReasons } from './gates.js';

/** The value of a settled step, or its failure thrown. */
function valueOf<T>(settled: PromiseSettledResult<T>): T {
  if (settled.status === 'rejected') throw settled.reason;
  return settled.value;
}

function costWithBudget(
  cost: CostSummary,
  budget: Pick<ReserveBudgetResult, 'overBudget' | 'monthlyLimit' | 'projected'>,
): NonNullable<DeploymentView['cost']> {
  return {
    ...cost,
    overBudget: budget.overBudget,
    monthlyLimit: budget.monthlyLimit,
    projected: budget.projected,
  };
}

export interface GateContext {
  a: ProvisionActivities;
  /** Gates of runs from FEWER_ROUND_TRIPS on (workflow.ts) run together; older runs replay them in turn. */
  together: boolean;
  /** From STEPS_BESIDE on (workflow.ts) the budget gate is one activity beside the others. */
  costBeside: boolean;
  input: ProvisionInput;
  deploymentId: string;
  stack: string;
  /** The run's view now: the approver, once there is one. */
  view: () => DeploymentView;
  /** Records a passing step (see workflow.ts): gates of older runs record each of theirs. */
  note: RecordStep;
  publish: (eventType: string, data: Record<string, unknown>) => Promise<unknown>;
}

/**
 * The checks between plan and approval (guardrails, cost and budget, change risk) and the zero-trust
 * re-check before apply. `assess` answers what they found; a gate that refuses fails it.
 */
export function provisionGates(ctx: GateContext) {
  const { a, input, deploymentId, stack, note, publish } = ctx;
  const { environment, requester } = input;
  const store = ctx.together ? a.local : a.store;
  const info = workflowInfo();

  /** The budget gate: the plan's cost, held against the environment's budget until the run ends. */
  async function reserveCost(saga: Saga, plan: PlanOutcome, bp: DeploymentBlueprint) {
    if (ctx.costBeside) {
      saga.add('release budget', () => a.undoStore.releaseDeploymentBudget(deploymentId));
      const { cost, changes, budget } = await a.store.costDeployment({
        planJsonRef: plan.planJsonRef,
        region: bp.region,
        environment,
        reservationId: deploymentId,
      });
      return { cost: costWithBudget(cost, budget), changes };
    }
    const assessed = await store.estimatePlanCost({ planJsonRef: plan.planJsonRef, region: bp.region });
    saga.add('release budget', () => a.undoStore.releaseDeploymentBudget(deploymentId));
    const budget = await store.reserveDeploymentBudget({
      environment,
      reservationId: deploymentId,
      amount: assessed.cost.monthlyDelta,
      currency: assessed.cost.currency,
    });
    return { cost: costWithBudget(assessed.cost, budget), changes: assessed.changes };
  }

  const scoreRisk = (summary: NonNullable<PlanOutcome['changes']>) =>
    a.ml.scoreChangeRisk({ summary, environment, at: new Date().toISOString(), stack });

  /** Zero-trust re-check of the requester, and of the approver once there is one. */
  const recheckAccess = () => {
    const approval = ctx.view().approval;
    return a.trust.recheckAccess({
      resource: `deployments/${environment}/${stack}`,
      action: 'apply',
      environment,
      parties: [
        {
          role: 'requester',
          subject: requester,
          ...(input.requesterAccess ? { context: input.requesterAccess } : {}),
          decidedAt: info.startTime.toISOString(),
        },
        ...(approval?.approver
          ? [{ role: 'approver' as const, subject: approval.approver, decidedAt: approval.decidedAt }]
          : []),
      ],
    });
  };

  /** Guardrails, then cost, then risk, each recorded on its own: the order of runs before FEWER_ROUND_TRIPS. */
  async function gatesInTurn(saga: Saga, plan: PlanOutcome, bp: DeploymentBlueprint) {
    await note('planning', 'checking the guardrails', planViewOf(plan));
    const policy = await a.trust.evaluatePlanPolicy({ planJsonRef: plan.planJsonRef, environment });
    await publish('GuardrailsValidated', guardrailsEvent(plan, policy).data);
    await note('planning', 'estimating the cost', { policy: { warnings: policy.warnings } });
    const { cost, changes } = await reserveCost(saga, plan, bp);
    await publish('CostEstimated', costEvent(cost).data);
    await note('planning', 'scoring the change risk', { cost });
    return { policy: { warnings: policy.warnings }, cost, risk: await scoreRisk(changes), events: [] };
  }

  /**
   * Guardrails, cost and risk together, once the plan exists; so is the requester's zero-trust re-check
   * when nothing asks for an approval up front (approval gets its own re-check afterwards). Every gate
   * settles before a failure is reported, so no reservation is made after its release ran.
   */
  async function gatesTogether(saga: Saga, plan: PlanOutcome, bp: DeploymentBlueprint) {
    await note('planning', 'checking the guardrails, the cost and the change risk', planViewOf(plan));
    const costing = reserveCost(saga, plan, bp);
    const settled = await Promise.allSettled([
      a.trust.evaluatePlanPolicy({ planJsonRef: plan.planJsonRef, environment }),
      costing,
      // Results of terraform workers older than the change counts come without them: then from the cost step.
      plan.changes ? scoreRisk(plan.changes) : costing.then(({ changes }) => scoreRisk(changes)),
      approvalReasons(input, {}).length === 0 ? recheckAccess() : Promise.resolve(undefined),
    ] as const);
    const [policy, costed, risk, access] = settled;
    const events = [
      ...(policy.status === 'fulfilled' ? [guardrailsEvent(plan, policy.value)] : []),
      ...(costed.status === 'fulfilled' ? [costEvent(costed.value.cost)] : []),
    ];
    // What did pass is announced even when another gate refused (by the failure's record).
    if (settled.some((s) => s.status === 'rejected'))
      await note(ctx.view().state, ctx.view().step, {}, events);
    return {
      policy: { warnings: valueOf(policy).warnings },
      cost: valueOf(costed).cost,
      risk: valueOf(risk),
      events,
      access: valueOf(access),
    };
  }

  return {
    assess: async (saga: Saga, plan: PlanOutcome, bp: DeploymentBlueprint) =>
      ctx.together
        ? gatesTogether(saga, plan, bp)
        : { ...(await gatesInTurn(saga, plan, bp)), access: undefined },
    recheckAccess,
  };
}
