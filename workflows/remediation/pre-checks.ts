import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import type { PreCheck } from '../../lib/playbooks/schema.js';
import type { RemediationActivities } from './activities.js';
import { runProbe } from './verify.js';

export interface PreCheckResult {
  kind: PreCheck['kind'];
  passed: boolean;
  detail: string;
}

export interface PreCheckContext {
  alert: NormalizedAlert;
  environment: string;
  incidentId: string;
  scope: string;
  playbook: string;
  store: RemediationActivities['store'];
  /** For `dependencies-healthy`: the same probes verification runs. */
  probes: Pick<RemediationActivities, 'probes' | 'ml'>;
}

/** How many dependents a refusal names before it only counts them. */
const SHOWN_DEPENDENTS = 5;

export interface PreChecks {
  checks: PreCheckResult[];
  /** The rate-limit slot the checks took: to be given back if the remediation does not run after all. */
  slot?: string;
}

/**
 * The playbook's checks before anything is touched, in file order, stopping at the first refusal (a
 * later check, e.g. the rate-limit reservation, must not be spent on a remediation that will not run).
 * The snapshot is not a check: it runs after the approval, right before the steps.
 */
export async function runPreChecks(preChecks: readonly PreCheck[], ctx: PreCheckContext): Promise<PreChecks> {
  const checks: PreCheckResult[] = [];
  let slot: string | undefined;
  for (const check of preChecks) {
    if (check.kind === 'snapshot') continue;
    const { slot: taken, ...result } = await runPreCheck(check, ctx);
    slot ??= taken;
    checks.push(result);
    if (!result.passed) break;
  }
  return { checks, ...(slot ? { slot } : {}) };
}

async function runPreCheck(
  check: PreCheck,
  ctx: PreCheckContext,
): Promise<PreCheckResult & { slot?: string }> {
  const { store, alert } = ctx;
  const result = (passed: boolean, detail: string): PreCheckResult => ({ kind: check.kind, passed, detail });
  switch (check.kind) {
    case 'no-active-deployment': {
      const keys = lockKeys(alert, ctx.environment);
      const active = await store.findActiveDeployment({ keys });
      return active
        ? result(false, `deployment ${active.holder.workflowId} holds the lock on ${active.key}`)
        : result(true, `no deployment holds ${keys.join(' or ')}`);
    }
    case 'rate-limit': {
      const slot = await store.reserveRemediationSlot({
        scope: ctx.scope,
        incidentId: ctx.incidentId,
        target: alert.target,
        playbook: ctx.playbook,
        max: check.max,
        per: check.per,
        at: new Date().toISOString(),
      });
      const used = `${slot.recent} remediation(s) of ${alert.target} in the last ${check.per}, limit ${check.max}`;
      return slot.granted ? { ...result(true, used), slot: slot.slot } : result(false, used);
    }
    case 'blast-radius': {
      const { dependents } = await store.measureBlastRadius({ target: alert.target });
      const shown = dependents.slice(0, SHOWN_DEPENDENTS).join(', ');
      const more =
        dependents.length > SHOWN_DEPENDENTS ? ` and ${dependents.length - SHOWN_DEPENDENTS} more` : '';
      const detail = `${dependents.length} resource(s) depend on ${alert.target}, limit ${check.maxDependents}${dependents.length ? `: ${shown}${more}` : ''}`;
      return result(dependents.length <= check.maxDependents, detail);
    }
    case 'dependencies-healthy': {
      // Fixing the target while what it needs is down would only hide the real fault.
      const probed = { activities: ctx.probes, alertResolved: () => false };
      // No dependency probe reads a metric series (metric-normal is not allowed here): the window is moot.
      const results = await Promise.all(check.probes.map((probe) => runProbe(probe, probed, '1s')));
      const failed = results.filter((r) => !r.passed);
      const described = (rs: typeof results) => rs.map((r) => `${r.kind} ${r.detail}`).join('; ');
      return failed.length === 0
        ? result(true, described(results))
        : result(false, `${failed.length} of ${results.length} unhealthy: ${described(failed)}`);
    }
    case 'snapshot':
      return result(true, 'runs before the steps');
  }
}

/**
 * Lock keys a deployment on the target would hold: the target itself, and `stack:environment` (the
 * provision saga's key) when the alert names its stack.
 */
export function lockKeys(alert: NormalizedAlert, environment: string): string[] {
  const stack = alert.labels.stack;
  return stack ? [alert.target, `${stack}:${environment}`] : [alert.target];
}

/** The alert's environment label; an alert that does not say is treated as production (the strictest). */
export function environmentOf(alert: NormalizedAlert): string {
  return alert.labels.environment || alert.labels.env || 'production';
}
