import type { DeploymentView, ProvisionInput } from './contract.js';

/**
 * Why a deployment needs a person's approval; empty means it may go ahead alone. Approval environments
 * always ask; elsewhere only an explicit auto-apply with every gate passed (no policy warning, within
 * budget, low risk) goes ahead.
 */
export function approvalReasons(
  input: Pick<ProvisionInput, 'environment' | 'autoApply' | 'settings'>,
  view: Pick<DeploymentView, 'policy' | 'cost' | 'risk'>,
): string[] {
  const reasons: string[] = [];
  if (input.settings.approvalEnvironments.includes(input.environment))
    reasons.push(`${input.environment} deployments need an approval`);
  if (input.autoApply !== true) reasons.push('auto-apply was not requested');
  const warnings = view.policy?.warnings.length ?? 0;
  if (warnings > 0) reasons.push(`${warnings} policy warning(s)`);
  if (view.cost?.overBudget) reasons.push('over budget: an admin must approve');
  if (view.risk && view.risk.level !== 'low') reasons.push(`change risk is ${view.risk.level}`);
  return reasons;
}

const money = (amount: number, currency: string) => `${currency} ${amount.toFixed(2)}`;

/** One line for the approver: what changes, what it costs, how risky it is. */
export function approvalSummary(view: DeploymentView): string {
  const plan = view.plan;
  const parts = [
    `${view.blueprintId}@${view.version ?? '?'} to ${view.environment} (stack ${view.stack})`,
    plan ? `plan: +${plan.add} ~${plan.change} -${plan.destroy} replace ${plan.replace}` : 'no plan',
  ];
  if (view.cost) {
    const limit =
      view.cost.monthlyLimit === null
        ? 'no budget'
        : `budget ${money(view.cost.monthlyLimit, view.cost.currency)}`;
    parts.push(
      `cost ${money(view.cost.monthlyDelta, view.cost.currency)}/month (projected ${money(view.cost.projected, view.cost.currency)}, ${limit})`,
    );
  }
  if (view.risk) parts.push(`risk ${view.risk.score.toFixed(3)} (${view.risk.level})`);
  return parts.join('; ');
}

/** What the approver must see besides the summary: policy warnings, budget and cost notes. */
export function approvalWarnings(view: DeploymentView, reasons: string[]): string[] {
  return [
    ...(view.policy?.warnings.map((w) => w.message) ?? []),
    ...(view.cost?.overBudget ? ['over budget: only an admin should approve'] : []),
    ...(view.cost?.warnings ?? []),
    ...(view.cost?.unpricedCount ? [`${view.cost.unpricedCount} resource(s) could not be priced`] : []),
    ...(view.cost?.suggestions.map((s) => s.message) ?? []),
    ...reasons.map((r) => `approval needed: ${r}`),
  ];
}
