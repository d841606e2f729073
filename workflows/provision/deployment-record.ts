import type { DeploymentEvent, DeploymentProgress } from '../../activities/store/deployments.js';
import type { DeploymentUpdate } from '../../lib/deployments/repository.js';
import type { PlanOutcome } from '../../activities/terraform/contract.js';
import type { DeploymentRecord, DeploymentState } from '../../lib/deployments/repository.js';
import type { Violation } from '../../lib/policy/types.js';
import type { ProvisionActivities } from './activities.js';
import type { DeploymentView, ProvisionInput } from './contract.js';

/**
 * Mirrors what the run learnt into `deployments` (state, step, what it learnt) and writes the domain
 * events of that moment after it, in order.
 */
export type RecordStep = (
  state: DeploymentState,
  step: string,
  learnt?: Partial<DeploymentView>,
  events?: DeploymentEvent[],
) => Promise<void>;

export interface RecorderOptions {
  a: ProvisionActivities;
  /** From FEWER_ROUND_TRIPS on (workflow.ts): one local activity per write, passing steps only noted. */
  together: boolean;
  /** Takes what the run learnt into its view (queries, search attribute). */
  learn: (state: DeploymentState, step: string, learnt: Partial<DeploymentView>) => void;
  /** The row as the view has it now, with `overrides` taken into it. */
  row: (overrides?: Partial<DeploymentView>) => DeploymentUpdate;
  publish: (eventType: string, data: Record<string, unknown>) => Promise<unknown>;
}

/** A record written by a local activity along with other work; `written` takes it into the view after. */
export interface PreparedRecord {
  progress: DeploymentProgress;
  written: () => void;
}

/**
 * `record` mirrors the run into `deployments`, then writes the events noted since the last write and
 * the step's own. `note` is for a step that passes quickly: from FEWER_ROUND_TRIPS on the queries show
 * it at once and the next record writes it (row and events) along with its own; older runs recorded
 * it there and then.
 */
export function deploymentRecorder(options: RecorderOptions): {
  record: RecordStep;
  note: RecordStep;
  prepare: (...args: Parameters<RecordStep>) => PreparedRecord;
} {
  const { a, together, learn, row, publish } = options;
  let unwritten: DeploymentEvent[] = [];
  const prepare = (...[state, step, learnt = {}, events = []]: Parameters<RecordStep>): PreparedRecord => {
    const noted = unwritten.length;
    return {
      progress: { deployment: row({ ...learnt, state, step }), events: [...unwritten, ...events] },
      written: () => {
        learn(state, step, learnt);
        unwritten = unwritten.slice(noted);
      },
    };
  };
  const record: RecordStep = async (...args) => {
    const { progress, written } = prepare(...args);
    written();
    if (together) return a.local.recordProgress(progress);
    await a.store.recordDeployment(progress.deployment);
    for (const e of progress.events ?? []) await publish(e.eventType, e.data);
  };
  const note: RecordStep = async (state, step, learnt = {}, events = []) => {
    if (!together) return record(state, step, learnt, events);
    learn(state, step, learnt);
    unwritten.push(...events);
  };
  return { record, note, prepare };
}

/** The deployment's row as the run knows it now. */
export function deploymentRow(view: DeploymentView, input: ProvisionInput, runId: string): DeploymentRecord {
  return {
    id: view.deploymentId,
    blueprintId: view.blueprintId,
    version: view.version ?? input.version ?? 'latest',
    environment: view.environment,
    stack: view.stack,
    state: view.state,
    step: view.step,
    requester: input.requester,
    runId,
    ...(view.planHash ? { planHash: view.planHash } : {}),
    ...(view.planJsonRef ? { planJsonRef: view.planJsonRef } : {}),
    ...(view.plan ? { planSummary: view.plan } : {}),
    ...(view.policy ? { policy: view.policy } : {}),
    ...(view.cost ? { cost: view.cost } : {}),
    ...(view.risk ? { risk: view.risk } : {}),
    ...(view.approval ? { approval: view.approval } : {}),
    ...(view.approval?.approver ? { approver: view.approval.approver } : {}),
    ...(view.outputs ? { outputs: view.outputs } : {}),
    ...(input.variables ? { variables: input.variables } : {}),
    ...(view.failure ? { failure: view.failure } : {}),
  };
}

/** What the plan step tells the deployment row and the approver. */
export function planViewOf(plan: PlanOutcome): Partial<DeploymentView> {
  return { planHash: plan.planHash, planJsonRef: plan.planJsonRef, plan: plan.summary };
}

/** A domain event of the deployment (domain section 9). */
export function event(eventType: string, data: Record<string, unknown>): DeploymentEvent {
  return { eventType, data };
}

export function guardrailsEvent(plan: PlanOutcome, policy: { warnings: Violation[] }): DeploymentEvent {
  return event('GuardrailsValidated', { planHash: plan.planHash, warnings: policy.warnings });
}

export function costEvent(cost: NonNullable<DeploymentView['cost']>): DeploymentEvent {
  return event('CostEstimated', {
    monthlyDelta: cost.monthlyDelta,
    currency: cost.currency,
    overBudget: cost.overBudget,
    priceTable: cost.priceTable,
  });
}
