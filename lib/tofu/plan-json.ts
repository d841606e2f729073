import { createHash } from 'node:crypto';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import type { ApplyOutcome, PlanSummary, ResourceAction } from '../../activities/terraform/contract.js';
import type { TerraformPlanJson } from '../policy/types.js';

/**
 * One resource change's action as Dharma counts it. A replacement is its own action (tofu's "to add"
 * and "to destroy" both count it), so add/change/destroy/replace never overlap.
 */
export function resourceAction(actions: readonly string[]): ResourceAction {
  if (actions.includes('create') && actions.includes('delete')) return 'replace';
  const [first] = actions;
  switch (first) {
    case 'create':
    case 'update':
    case 'delete':
    case 'read':
    case 'no-op':
      return first;
    default:
      return 'no-op';
  }
}

/** Counts and per-resource actions of a plan (`tofu show -json`), no-ops left out of the list. */
export function summarizePlan(plan: TerraformPlanJson): PlanSummary {
  const summary: PlanSummary = { add: 0, change: 0, destroy: 0, replace: 0, resources: [] };
  for (const rc of plan.resource_changes ?? []) {
    const action = resourceAction(rc.change.actions);
    if (action === 'no-op') continue;
    summary.resources.push({ address: rc.address, type: rc.type, action });
    if (action === 'create') summary.add++;
    else if (action === 'update') summary.change++;
    else if (action === 'delete') summary.destroy++;
    else if (action === 'replace') summary.replace++;
  }
  return summary;
}

export function planHasChanges(summary: PlanSummary): boolean {
  return summary.add + summary.change + summary.destroy + summary.replace > 0;
}

/**
 * The change a plan makes, as a hash: its resource changes (what will happen to what) and the hash of
 * the configuration it was made from. Timestamps and tofu's version are left out, so planning the same
 * change twice gives the same hash, and an approval of one plan also covers an identical re-plan.
 */
export function planHash(plan: TerraformPlanJson, configHash: string): string {
  const changes = plan.resource_changes ?? [];
  return `sha256:${createHash('sha256')
    .update(canonicalJson({ configHash, resourceChanges: changes }))
    .digest('hex')}`;
}

interface OutputJson {
  sensitive?: boolean;
  value?: unknown;
}

/** `tofu output -json` with sensitive values removed: they are listed by name only. */
export function redactOutputs(
  raw: Record<string, OutputJson>,
): Pick<ApplyOutcome, 'outputs' | 'sensitiveOutputs'> {
  const outputs: Record<string, unknown> = {};
  const sensitiveOutputs: string[] = [];
  for (const [name, output] of Object.entries(raw).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (output.sensitive) sensitiveOutputs.push(name);
    else outputs[name] = output.value;
  }
  return { outputs, sensitiveOutputs };
}
