import type { ResourceChange, TerraformPlanJson } from '../../lib/policy/types.js';

type Attributes = Record<string, unknown> | null;

/** One managed resource change as `tofu show -json` prints it. */
export function change(
  address: string,
  actions: string[],
  before: Attributes,
  after: Attributes,
  afterUnknown: Record<string, unknown> = {},
): ResourceChange {
  const [type = '', name = ''] = address.split('.');
  return {
    address,
    mode: 'managed',
    type,
    name,
    change: { actions, before, after, after_unknown: afterUnknown },
  };
}

export const plan = (...changes: ResourceChange[]): TerraformPlanJson => ({
  format_version: '1.2',
  resource_changes: changes,
});
