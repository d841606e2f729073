import type { ResourceChange, TerraformPlanJson } from '../policy/types.js';

/** What applying a resource change does, from the plan's `actions` list. */
export type ChangeAction = 'create' | 'update' | 'delete' | 'replace' | 'none';

/**
 * `["delete","create"]` and `["create","delete"]` (create_before_destroy) are both replacements; `no-op`
 * and `read` (data sources) change nothing.
 */
export function changeAction(actions: readonly string[]): ChangeAction {
  const creates = actions.includes('create');
  const deletes = actions.includes('delete');
  if (creates && deletes) return 'replace';
  if (creates) return 'create';
  if (deletes) return 'delete';
  if (actions.includes('update')) return 'update';
  return 'none';
}

/** The plan's managed resource changes that do something, with their action. */
export function effectiveChanges(
  plan: TerraformPlanJson,
): { change: ResourceChange; action: Exclude<ChangeAction, 'none'> }[] {
  const changes = plan.resource_changes;
  if (changes !== undefined && !Array.isArray(changes)) {
    throw new TypeError('plan.resource_changes: expected an array (the output of `tofu show -json`)');
  }
  const result: { change: ResourceChange; action: Exclude<ChangeAction, 'none'> }[] = [];
  for (const [i, change] of (changes ?? []).entries()) {
    if (typeof change?.type !== 'string' || !Array.isArray(change.change?.actions)) {
      throw new TypeError(`plan.resource_changes[${i}]: expected {address, type, change: {actions: [...]}}`);
    }
    if (change.mode === 'data') continue;
    const action = changeAction(change.change.actions);
    if (action !== 'none') result.push({ change, action });
  }
  return result;
}
