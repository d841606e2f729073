import { CancellationScope, isCancellation, patched } from '@temporalio/workflow';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import { PlaybookRenderError } from '../../lib/playbooks/errors.js';
import { needsApproval } from '../../lib/playbooks/match.js';
import type { Playbook, PreCheck, Probe } from '../../lib/playbooks/schema.js';
import { renderStep, renderTemplate, type RenderedStep } from '../../lib/playbooks/template.js';
import type { IncidentStatus } from '../../lib/incidents/repository.js';
import type { ApprovalGate } from '../lib/approval.js';
import type { RemediationActivities } from './activities.js';
import type { IncidentState } from './contract.js';
import { environmentOf, runPreChecks } from './pre-checks.js';
import { runSteps, type StepRecord } from './steps.js';
import { verify, type Verification } from './verify.js';

export interface PlaybookRunContext {
  incident: IncidentState;
  alert: NormalizedAlert;
  activities: RemediationActivities;
  gate: ApprovalGate;
  alertResolved: () => boolean;
  /** Moves the incident to `status` with a timeline entry of `kind`. */
  setStatus: (status: IncidentStatus, kind: string, detail: Record<string, unknown>) => Promise<void>;
  /** A timeline entry without a status change. */
  record: (kind: string, detail: Record<string, unknown>) => Promise<void>;
  progress: (step: string) => void;
}

export type PlaybookOutcome =
  | { kind: 'verified'; resolvedAt: string }
  | { kind: 'stopped'; reason: string }
  | { kind: 'escalated'; stage: Stage; reason: string };

type Stage = 'render' | 'pre-check' | 'approval' | 'snapshot' | 'step' | 'verification';

interface RenderedPlaybook {
  preChecks: PreCheck[];
  snapshot?: RenderedStep;
  steps: RenderedStep[];
  rollback: RenderedStep[];
  probes: Probe[];
}

/**
 * From it on a remediation whose first step refused before touching anything runs no rollback: there is
 * nothing to undo, and undoing a change never made (scale in after a refused scale out) does harm. Runs
 * recorded before it ran the rollback steps anyway.
 */
const ROLLBACK_ONLY_AFTER_CHANGE = 'remediation-rollback-only-after-change';

/**
 * Runs recorded before it keep the rate-limit slot their pre-checks took even when they changed nothing
 * (a later check refused, the approver said no, the alert resolved first); from it on it is given back.
 */
const RELEASE_UNUSED_SLOT = 'remediation-release-unused-slot';

/** Until approved, a remediation waits this long when the playbook names no escalation delay. */
const DEFAULT_APPROVAL_TIMEOUT = '15m';

/**
 * Runs a playbook for an incident (domain section 5): render everything from the alert first (a missing
 * label escalates before anything is touched), pre-checks, approval when the risk or environment asks
 * for it, snapshot, steps, verification. A failed step or verification runs the rollback steps in a
 * non-cancellable scope, stores a failure report and escalates; so does cancelling the workflow mid-way.
 * A failed snapshot is reported and escalated the same way, without a rollback.
 */
export async function runPlaybook(ctx: PlaybookRunContext, playbook: Playbook): Promise<PlaybookOutcome> {
  const { activities, incident, alert } = ctx;
  const name = `${playbook.id}@v${playbook.version}`;
  const scope = `g${incident.generation}`;
  const environment = environmentOf(alert);
  const base = { playbook: name, environment };

  const escalate = async (stage: Stage, reason: string): Promise<PlaybookOutcome> => {
    ctx.progress(`escalated to ${playbook.escalation.notify}: ${reason}`);
    await activities.notify.notify(escalation(playbook, incident, stage, reason));
    await ctx.setStatus('escalated', 'escalated', {
      ...base,
      stage,
      reason,
      notify: playbook.escalation.notify,
    });
    return { kind: 'escalated', stage, reason };
  };

  let plan: RenderedPlaybook;
  try {
    plan = render(playbook, alert);
  } catch (error) {
    if (error instanceof PlaybookRenderError) return escalate('render', error.message);
    throw error;
  }

  // The playbook decides whether an alert that resolved by itself still gets the fix.
  const stopEarly = () => playbook.onResolved === 'stop' && ctx.alertResolved();
  const stop = async (before: string): Promise<PlaybookOutcome> => {
    const reason = `the alert resolved before ${before}; nothing was changed`;
    await ctx.record('stopped', { ...base, reason });
    return { kind: 'stopped', reason };
  };
  if (stopEarly()) return stop('the pre-checks');

  ctx.progress(`pre-checks of ${name}`);
  const { checks, slot } = await runPreChecks(plan.preChecks, {
    alert,
    environment,
    incidentId: incident.incidentId,
    scope,
    playbook: name,
    store: activities.store,
    probes: activities,
  });
  await ctx.record('pre-checks', { ...base, checks });
  const unused = async <T>(outcome: () => Promise<T>): Promise<T> => {
    if (slot && patched(RELEASE_UNUSED_SLOT)) await activities.store.releaseRemediationSlot({ slot });
    return outcome();
  };
  const refused = checks.find((c) => !c.passed);
  if (refused) return unused(() => escalate('pre-check', `${refused.kind}: ${refused.detail}`));

  if (needsApproval(playbook, environment)) {
    const summary = `${name} on ${alert.target}: ${plan.steps.map((s) => s.action).join(', ')}`;
    await ctx.setStatus('awaiting-approval', 'approval-requested', { ...base, risk: playbook.risk, summary });
    ctx.progress(`awaiting approval: ${summary}`);
    const timeout = playbook.escalation.after ?? DEFAULT_APPROVAL_TIMEOUT;
    const outcome = await ctx.gate.requestUnless(
      {
        requester: 'dharma-remediation',
        environment,
        target: alert.target,
        changeHash: `${name}/${incident.incidentId}`,
        summary,
        warnings: [`risk ${playbook.risk}`],
        timeout,
        escalateBefore: 0,
      },
      stopEarly,
    );
    await ctx.record('approval', { ...base, ...outcome });
    if (outcome.decision === 'withdrawn') return unused(() => stop('the approval'));
    if (outcome.decision !== 'approved')
      return unused(() =>
        escalate('approval', `approval ${outcome.decision}${outcome.reason ? `: ${outcome.reason}` : ''}`),
      );
  }

  if (stopEarly()) return unused(() => stop('the steps'));
  await ctx.setStatus('remediating', 'remediation-started', { ...base, risk: playbook.risk });
  await activities.events.publishEvent({
    scope,
    eventType: 'RemediationStarted',
    aggregateId: incident.incidentId,
    aggregateType: 'incident',
    data: { ...base, target: alert.target, steps: plan.steps.map((s) => s.name) },
  });

  const executed: StepRecord[] = [];
  const fail = async (stage: Stage, reason: string, verification?: Verification) => {
    // A snapshot that could not be taken comes before every step: nothing was changed, nothing to undo.
    // Neither was anything when the only step run refused before acting.
    const nothingChanged =
      stage === 'snapshot' ||
      (stage === 'step' &&
        executed.length > 0 &&
        executed.every((s) => s.refused) &&
        patched(ROLLBACK_ONLY_AFTER_CHANGE));
    const rollback = nothingChanged
      ? []
      : await CancellationScope.nonCancellable(() => runSteps(ctx, plan.rollback, 'rollback'));
    const report = { ...base, target: alert.target, stage, reason, steps: executed, rollback, verification };
    await activities.store.storeFailureReport({ incidentId: incident.incidentId, report });
    await activities.events.publishEvent({
      scope,
      eventType: 'RemediationFailed',
      aggregateId: incident.incidentId,
      aggregateType: 'incident',
      data: { ...base, target: alert.target, stage, reason, rolledBack: rollback.length },
    });
    return escalate(stage, reason);
  };

  try {
    if (plan.snapshot) {
      const [snapshot] = await runSteps(ctx, [plan.snapshot], 'snapshot');
      // The remediation has started: its failure is reported and published like a failed step's.
      if (!snapshot?.ok) return await fail('snapshot', `snapshot failed: ${snapshot?.error ?? 'unknown'}`);
    }
    for (const step of plan.steps) {
      const [record] = await runSteps(ctx, [step], 'step');
      executed.push(record!);
      if (!record!.ok)
        return await fail('step', `step ${step.name} (${step.action}) failed: ${record!.error}`);
    }
    await ctx.setStatus('verifying', 'verification-started', {
      ...base,
      window: playbook.verification.window,
    });
    ctx.progress(`verifying ${name} for up to ${playbook.verification.window}`);
    const verification = await verify({
      probes: plan.probes,
      window: playbook.verification.window,
      activities,
      alertResolved: ctx.alertResolved,
      onRound: (round) => ctx.record('verification', { ...base, ...round }),
    });
    if (!verification.verified) {
      const last = verification.rounds.at(-1)?.results.filter((r) => !r.passed) ?? [];
      const why = last.map((r) => `${r.kind}: ${r.detail}`).join('; ');
      return await fail(
        'verification',
        `not verified within ${playbook.verification.window}: ${why}`,
        verification,
      );
    }
  } catch (error) {
    if (isCancellation(error))
      await CancellationScope.nonCancellable(() => fail('step', 'the remediation was cancelled'));
    throw error;
  }

  const resolvedAt = new Date().toISOString();
  await activities.events.publishEvent({
    scope,
    eventType: 'RemediationCompleted',
    aggregateId: incident.incidentId,
    aggregateType: 'incident',
    data: { ...base, target: alert.target, steps: executed.map((s) => s.name) },
  });
  return { kind: 'verified', resolvedAt };
}

function render(playbook: Playbook, alert: NormalizedAlert): RenderedPlaybook {
  const snapshotCheck = playbook.preChecks.find((c) => c.kind === 'snapshot');
  return {
    // Only probes are templated among the checks; the others pass as written.
    preChecks: playbook.preChecks.map((check, i) =>
      check.kind === 'dependencies-healthy'
        ? renderTemplate(check, alert, playbook.id, `preChecks[${i}]`)
        : check,
    ),
    ...(snapshotCheck?.kind === 'snapshot'
      ? {
          snapshot: renderStep(
            {
              name: 'snapshot',
              action: snapshotCheck.action,
              ...(snapshotCheck.params ? { params: snapshotCheck.params } : {}),
            },
            alert,
            playbook.id,
            'preChecks.snapshot',
          ),
        }
      : {}),
    steps: playbook.steps.map((s, i) => renderStep(s, alert, playbook.id, `steps[${i}]`)),
    rollback: playbook.rollback.map((s, i) => renderStep(s, alert, playbook.id, `rollback[${i}]`)),
    probes: playbook.verification.probes.map((p, i) =>
      renderTemplate(p, alert, playbook.id, `verification.probes[${i}]`),
    ),
  };
}

/** A Slack-compatible message for whoever the playbook escalates to. */
function escalation(playbook: Playbook, incident: IncidentState, stage: Stage, reason: string) {
  const who = playbook.escalation.notify === 'on-call' ? 'on-call' : 'the team';
  const text = `[${incident.severity}] ${incident.alertName} on ${incident.target}: playbook ${playbook.id} stopped at ${stage} (${reason}); ${who} please take incident ${incident.incidentId}.`;
  return {
    kind: 'incident.escalated',
    text,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }],
  };
}
