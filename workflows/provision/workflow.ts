import {
  ApplicationFailure,
  CancellationScope,
  patched,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DeploymentBlueprint } from '../../activities/store/deployments.js';
import type { DeploymentState } from '../../lib/deployments/repository.js';
import { createApprovalGate } from '../lib/approval.js';
import { withLock } from '../lib/lock.js';
import { progressQuery } from '../lib/progress.js';
import { failureMessage, runSteps, withSaga, type Saga } from '../lib/saga.js';
import { provisionActivities } from './activities.js';
import {
  deploymentQuery,
  PROVISION_FAILURES,
  type DeploymentView,
  type ProvisionInput,
  type ProvisionResult,
} from './contract.js';
import { approvalReasons, approvalSummary, approvalWarnings } from './gates.js';
import { deploymentRecorder, deploymentRow, event, type RecordStep } from './deployment-record.js';
import { finishingSteps, finishTogether, scheduleDriftBesideApply, type FinishContext } from './finish.js';
import { provisionGates } from './plan-gates.js';
import { validateProvisionInput } from './validate.js';
import { tofuSteps } from './tofu-steps.js';
import { deploymentVersions } from './versions.js';

const STATE_KEY = defineSearchAttributeKey('DharmaState', SearchAttributeType.KEYWORD);

/**
 * Runs started before it replay the order they recorded. From it on, the saga's bookkeeping runs as
 * local activities (a row and its events in one write, passing steps written with the next one),
 * synthesis and plan are one activity, and steps that do not depend on each other run together:
 * blueprint and previous deployment; guardrails, cost and risk (and the requester's zero-trust check
 * when no approval is asked for up front); topology, budget, drift schedule and workspace cleanup.
 */
const FEWER_ROUND_TRIPS = 'provision-fewer-round-trips';

/**
 * From it on (with FEWER_ROUND_TRIPS), the run's first record is written while the lock request goes
 * out, and a verified deployment marks its workspace cleaned with a local activity (it only writes
 * PostgreSQL), so all its finishing steps run within one workflow task.
 */
const FEWER_TASKS = 'provision-fewer-tasks';

/**
 * From it on (with FEWER_TASKS) steps that need not wait run beside others, sparing rounds through the
 * workflow: the blueprint version is loaded while the run waits for the lock (a version never changes;
 * a missing one fails the run once it holds the lock) and the planning record is written beside the
 * look-up of the previous deployment; the budget gate is one activity scheduled with guardrails, risk
 * and zero-trust (as local activities before them it held back their scheduling); the drift Schedule
 * is set while tofu applies (finish.ts); the last writes and the completed record are one local activity.
 */
const STEPS_BESIDE = 'provision-steps-beside';

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
  const together = patched(FEWER_ROUND_TRIPS);
  const fewerTasks = together && patched(FEWER_TASKS);
  const beside = fewerTasks && patched(STEPS_BESIDE);
  const store = together ? a.local : a.store;
  const { environment, requester } = input;
  const lockKey = `${stack}:${environment}`;
  const publish = (eventType: string, data: Record<string, unknown>) =>
    a.store.publishEvent({ eventType, aggregateId: deploymentId, aggregateType: 'Deployment', data });
  const learn = (state: DeploymentState, step: string, learnt: Partial<DeploymentView>) => {
    view = { ...view, ...learnt, state, step };
    updatedAt = new Date().toISOString();
    upsertSearchAttributes([{ key: STATE_KEY, value: state }]);
  };
  const { record, note, prepare } = deploymentRecorder({
    a,
    together,
    learn,
    row: (overrides) => deploymentRow({ ...view, ...overrides }, input, info.runId),
    publish,
  });

  let applyStarted = false;
  let compensationFailed = false;

  const gates = provisionGates({
    a,
    together,
    costBeside: beside,
    input,
    deploymentId,
    stack,
    view: () => view,
    note,
    publish,
  });

  const versions = deploymentVersions({ store, together, input, deploymentId, stack, record, note });
  const tofu = tofuSteps({ a, together, input, deploymentId, stack, record, note });

  async function deploy(
    saga: Saga,
    loading: Promise<DeploymentBlueprint> | undefined,
  ): Promise<ProvisionResult> {
    const { bp, previous } = await versions.resolve(loading);
    const { workspace, plan } = await tofu.planned(saga, bp, loading !== undefined);

    const { events, access: early, ...found } = await gates.assess(saga, plan, bp);
    const reasons = approvalReasons(input, found);
    await note(
      'planning',
      'deciding on approval',
      { ...found, approvalRequired: reasons.length > 0 },
      events,
    );
    const { cost } = found;

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

    let access = early;
    if (!access || view.approval) {
      await record('applying', 'zero-trust re-check of requester and approver');
      access = await gates.recheckAccess();
    }

    applyStarted = true;
    await record('applying', `applying plan ${plan.planHash}`, { access });
    saga.add(previous ? `re-apply version ${previous.version}` : 'destroy created resources', async () => {
      if (previous) await tofu.reapply(previous);
      else {
        await a.undoTofu.destroyWorkspace({ workspace });
        await a.undoStore.deleteDriftSchedule({ stack, environment });
      }
    });
    const finishing: FinishContext = { a, together, localCleanup: fewerTasks, input, deploymentId, stack };
    if (beside) finishing.driftScheduled = scheduleDriftBesideApply(finishing, bp, saga);
    const applied = await a.tofu.applyPlan({
      workspace,
      plan: { planRef: plan.planRef, planHash: plan.planHash },
    });

    await note('verifying', 'checking outputs and health checks', { outputs: applied.outputs });
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

    await note('verifying', 'registering the topology', {
      verify: { outputs: Object.keys(applied.outputs), checks },
    });
    saga.add('unregister topology', () => a.undoStore.unregisterTopology(deploymentId));
    const completed = [
      'completed',
      'deployment completed',
      {},
      [
        event('DeploymentCompleted', {
          blueprintId: bp.blueprintId,
          version: bp.version,
          environment,
          stack,
          planHash: plan.planHash,
          outputs: Object.keys(applied.outputs),
        }),
      ],
    ] as const satisfies Parameters<RecordStep>;
    if (beside) {
      const completing = prepare(...completed);
      await finishTogether(finishing, bp, applied, workspace, completing.progress);
      completing.written();
    } else {
      await runSteps(together, finishingSteps(finishing, bp, applied, workspace));
      await record(...completed);
    }
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

  const queued = record('queued', `waiting for the lock on ${lockKey}`, {}, [
    event('DeploymentStarted', {
      blueprintId: input.blueprintId,
      version: input.version ?? null,
      environment,
      stack,
      requester,
      reason: input.reason ?? { kind: 'deploy' },
    }),
  ]);
  // Runs from FEWER_TASKS on wait for this write only once they hold the lock: a failed write still
  // fails the run then, after the lock request that went out alongside it.
  void queued.catch(() => undefined);
  if (!fewerTasks) await queued;
  const loading = beside ? versions.load() : undefined;
  void loading?.catch(() => undefined);
  try {
    return await withLock(
      lockKey,
      async () => {
        await queued;
        return withSaga(
          async (saga) => {
            try {
              return await deploy(saga, loading);
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
        );
      },
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
    await CancellationScope.nonCancellable(() =>
      record(rolledBack ? 'rolled_back' : 'failed', rolledBack ? 'rolled back' : 'failed', { failure }, [
        event(rolledBack ? 'DeploymentRolledBack' : 'DeploymentFailed', {
          blueprintId: input.blueprintId,
          version: view.version ?? null,
          environment,
          stack,
          failure,
          compensationFailed,
        }),
      ]),
    );
    throw err;
  }
}
