import {
  ApplicationFailure,
  CancellationScope,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { PreviousDeployment } from '../../activities/store/deployments.js';
import type { DeploymentRecord, DeploymentState } from '../../lib/deployments/repository.js';
import { createApprovalGate } from '../lib/approval.js';
import { withLock } from '../lib/lock.js';
import { progressQuery } from '../lib/progress.js';
import { failureMessage, withSaga, type Saga } from '../lib/saga.js';
import { provisionActivities } from './activities.js';
import {
  deploymentQuery,
  PROVISION_FAILURES,
  type DeploymentView,
  type ProvisionInput,
  type ProvisionResult,
} from './contract.js';
import { approvalReasons, approvalSummary, approvalWarnings } from './gates.js';
import { validateProvisionInput } from './validate.js';

const STATE_KEY = defineSearchAttributeKey('DharmaState', SearchAttributeType.KEYWORD);

/**
 * Turns a blueprint version into infrastructure (domain section 1): under the stack+environment lock,
 * plan, guardrails, cost and budget, change risk, approval, zero-trust re-check, apply of exactly the
 * saved plan, verify, topology, events. Every step that leaves something behind registers its undo
 * first; a failure or cancellation undoes them newest first while the lock is still held, so the next
 * deployment of the stack never sees a half-built one.
 */
export async function provision(input: ProvisionInput): Promise<ProvisionResult> {
  const info = workflowInfo();
  const deploymentId = info.workflowId;
  const stack = input?.stack ?? input?.blueprintId;
  let view: DeploymentView = {
    deploymentId,
    blueprintId: input?.blueprintId,
    ...(input?.version ? { version: input.version } : {}),
    environment: input?.environment,
    stack,
    state: 'queued',
    step: 'validating input',
  };
  let updatedAt = new Date().toISOString();
  setHandler(progressQuery, () => ({ state: view.state, step: view.step, updatedAt }));
  setHandler(deploymentQuery, () => view);
  const gate = createApprovalGate();
  try {
    validateProvisionInput(input);
  } catch (err) {
    view = { ...view, state: 'failed', step: 'invalid input', failure: failureMessage(err) };
    throw err;
  }

  const a = provisionActivities();
  const { environment, requester } = input;
  const lockKey = `${stack}:${environment}`;
  const record = async (state: DeploymentState, step: string, learnt: Partial<DeploymentView> = {}) => {
    view = { ...view, ...learnt, state, step };
    updatedAt = new Date().toISOString();
    upsertSearchAttributes([{ key: STATE_KEY, value: state }]);
    await a.store.recordDeployment(deploymentRow(view, input, info.runId));
  };
  const publish = (eventType: string, data: Record<string, unknown>) =>
    a.store.publishEvent({ eventType, aggregateId: deploymentId, aggregateType: 'Deployment', data });

  let applyStarted = false;
  let compensationFailed = false;

  async function deploy(saga: Saga): Promise<ProvisionResult> {
    await record('validating', 'loading the blueprint version');
    const bp = await a.store.loadDeploymentBlueprint({
      blueprintId: input.blueprintId,
      ...(input.version ? { version: input.version } : {}),
    });
    const previous = await a.store.previousDeployment({ stack, environment, excludeId: deploymentId });

    await record('planning', 'synthesizing the configuration', { version: bp.version });
    // Preparing only writes rows and artifacts; what needs cleaning up exists once it returned.
    const workspace = await a.tofu.prepareWorkspace({
      deploymentId,
      blueprintId: bp.blueprintId,
      blueprintVersion: bp.version,
      environment,
      stack,
      ...(input.variables ? { variables: input.variables } : {}),
    });
    saga.add('clean workspace', () => a.undoTofu.cleanupWorkspace({ workspace }));
    await record('planning', 'planning');
    const plan = await a.tofu.planWorkspace({ workspace });
    const planView = { planHash: plan.planHash, planJsonRef: plan.planJsonRef, plan: plan.summary };

    await record('planning', 'checking the guardrails', planView);
    const policy = await a.trust.evaluatePlanPolicy({ planJsonRef: plan.planJsonRef, environment });
    await publish('GuardrailsValidated', { planHash: plan.planHash, warnings: policy.warnings });

    await record('planning', 'estimating the cost', { policy: { warnings: policy.warnings } });
    const assessed = await a.store.estimatePlanCost({ planJsonRef: plan.planJsonRef, region: bp.region });
    saga.add('release budget', () => a.undoStore.releaseDeploymentBudget(deploymentId));
    const budget = await a.store.reserveDeploymentBudget({
      environment,
      reservationId: deploymentId,
      amount: assessed.cost.monthlyDelta,
      currency: assessed.cost.currency,
    });
    const cost = {
      ...assessed.cost,
      overBudget: budget.overBudget,
      monthlyLimit: budget.monthlyLimit,
      projected: budget.projected,
    };
    await publish('CostEstimated', {
      monthlyDelta: cost.monthlyDelta,
      currency: cost.currency,
      overBudget: cost.overBudget,
      priceTable: cost.priceTable,
    });

    await record('planning', 'scoring the change risk', { cost });
    const risk = await a.ml.scoreChangeRisk({
      summary: assessed.changes,
      environment,
      at: new Date().toISOString(),
      stack,
    });
    const reasons = approvalReasons(input, { ...view, risk });
    await record('planning', 'deciding on approval', { risk, approvalRequired: reasons.length > 0 });

    if (reasons.length > 0) {
      await record('awaiting_approval', `waiting for an approver (${reasons.join('; ')})`);
      const outcome = await gate.request({
        requester,
        environment,
        target: lockKey,
        changeHash: plan.planHash,
        summary: approvalSummary(view),
        warnings: approvalWarnings(view, reasons),
        // Domain section 2: a run over budget is blocked unless an admin approves it.
        ...(cost.overBudget ? { requiredRoles: ['admin' as const], requiredRolesReason: 'over budget' } : {}),
        ...(input.settings.approvalTimeout ? { timeout: input.settings.approvalTimeout } : {}),
        ...(input.settings.approvalEscalateBefore
          ? { escalateBefore: input.settings.approvalEscalateBefore }
          : {}),
      });
      view = { ...view, approval: outcome };
      if (outcome.decision !== 'approved') {
        throw ApplicationFailure.create({
          type: PROVISION_FAILURES.notApproved,
          nonRetryable: true,
          message: `approval ${outcome.decision}${outcome.approver ? ` by ${outcome.approver}` : ''}${outcome.reason ? `: ${outcome.reason}` : ''}`,
        });
      }
    }

    await record('applying', 'zero-trust re-check of requester and approver');
    const access = await a.trust.recheckAccess({
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
        ...(view.approval?.approver
          ? [
              {
                role: 'approver' as const,
                subject: view.approval.approver,
                decidedAt: view.approval.decidedAt,
              },
            ]
          : []),
      ],
    });

    applyStarted = true;
    await record('applying', `applying plan ${plan.planHash}`, { access });
    saga.add(previous ? `re-apply version ${previous.version}` : 'destroy created resources', async () => {
      if (previous) await reapply(previous);
      else {
        await a.undoTofu.destroyWorkspace({ workspace });
        await a.undoStore.deleteDriftSchedule({ stack, environment });
      }
    });
    const applied = await a.tofu.applyPlan({
      workspace,
      plan: { planRef: plan.planRef, planHash: plan.planHash },
    });

    await record('verifying', 'checking outputs and health checks', { outputs: applied.outputs });
    const missing = bp.outputs
      .map((o) => o.name)
      .filter((name) => !(name in applied.outputs) && !applied.sensitiveOutputs.includes(name));
    if (missing.length > 0) {
      throw ApplicationFailure.create({
        type: PROVISION_FAILURES.verifyFailed,
        nonRetryable: true,
        message: `outputs missing after apply: ${missing.join(', ')}`,
      });
    }
    const checks = [];
    for (const check of bp.healthChecks) {
      await record('verifying', `health check ${check.name} (${check.kind})`);
      checks.push(await a.health.runHealthCheck({ check, outputs: applied.outputs }));
    }

    await record('verifying', 'registering the topology', {
      verify: { outputs: Object.keys(applied.outputs), checks },
    });
    saga.add('unregister topology', () => a.undoStore.unregisterTopology(deploymentId));
    await a.store.registerTopology({
      deploymentId,
      stack,
      environment,
      nodes: applied.resources.map((r) => ({
        address: r.address,
        type: r.type,
        ...(r.id !== undefined ? { providerId: r.id } : {}),
      })),
      edges: bp.edges,
    });
    await a.store.commitDeploymentBudget(deploymentId);
    await a.store.ensureDriftSchedule({
      check: {
        blueprintId: bp.blueprintId,
        stack,
        environment,
        reconcile: bp.drift?.reconcile ?? false,
        requester,
        settings: input.settings,
      },
      interval: bp.drift?.interval ?? input.settings.driftInterval,
      taskQueue: info.taskQueue,
    });
    await a.tofu.cleanupWorkspace({ workspace });
    await record('completed', 'deployment completed');
    await publish('DeploymentCompleted', {
      blueprintId: bp.blueprintId,
      version: bp.version,
      environment,
      stack,
      planHash: plan.planHash,
      outputs: Object.keys(applied.outputs),
    });
    return {
      deploymentId,
      status: 'completed',
      blueprintId: bp.blueprintId,
      version: bp.version,
      environment,
      stack,
      planHash: plan.planHash,
      outputs: applied.outputs,
      view,
    };
  }

  /** The undo of an update: plan and apply the previous version, with its variables, in a workspace of its own. */
  async function reapply(previous: PreviousDeployment): Promise<void> {
    const workspace = await a.undoTofu.prepareWorkspace({
      deploymentId: `${deploymentId}-restore`,
      blueprintId: input.blueprintId,
      blueprintVersion: previous.version,
      environment,
      stack,
      ...(previous.variables ? { variables: previous.variables } : {}),
    });
    const plan = await a.undoTofu.planWorkspace({ workspace });
    await a.undoTofu.applyPlan({ workspace, plan: { planRef: plan.planRef, planHash: plan.planHash } });
    await a.undoTofu.cleanupWorkspace({ workspace });
  }

  await record('queued', `waiting for the lock on ${lockKey}`);
  await publish('DeploymentStarted', {
    blueprintId: input.blueprintId,
    version: input.version ?? null,
    environment,
    stack,
    requester,
    reason: input.reason ?? { kind: 'deploy' },
  });
  try {
    return await withLock(
      lockKey,
      () =>
        withSaga(
          async (saga) => {
            try {
              return await deploy(saga);
            } catch (err) {
              if (applyStarted) {
                await CancellationScope.nonCancellable(() =>
                  record('rolling_back', `undoing the apply: ${failureMessage(err)}`),
                );
              }
              throw err;
            }
          },
          { onCompensated: (report) => void (compensationFailed = report.failed > 0) },
        ),
      {
        ...(input.settings.lockLease ? { lease: input.settings.lockLease } : {}),
        onQueued: () => {
          view = { ...view, step: `queued for the lock on ${lockKey}` };
        },
      },
    );
  } catch (err) {
    const failure = failureMessage(err);
    const rolledBack = applyStarted && !compensationFailed;
    await CancellationScope.nonCancellable(async () => {
      await record(rolledBack ? 'rolled_back' : 'failed', rolledBack ? 'rolled back' : 'failed', { failure });
      await publish(rolledBack ? 'DeploymentRolledBack' : 'DeploymentFailed', {
        blueprintId: input.blueprintId,
        version: view.version ?? null,
        environment,
        stack,
        failure,
        compensationFailed,
      });
    });
    throw err;
  }
}

function deploymentRow(view: DeploymentView, input: ProvisionInput, runId: string): DeploymentRecord {
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
