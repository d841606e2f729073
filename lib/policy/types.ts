/**
 * What the guardrails see and say. The input is the plan as `tofu show -json` prints it plus the target
 * environment (the protected-destroy rule applies to production only).
 */
export interface ResourceChange {
  address: string;
  mode: 'managed' | 'data';
  type: string;
  name: string;
  provider_name?: string;
  change: {
    actions: string[];
    before: Record<string, unknown> | null;
    after: Record<string, unknown> | null;
    after_unknown?: Record<string, unknown>;
  };
}

export interface TerraformPlanJson {
  format_version?: string;
  resource_changes?: ResourceChange[];
  configuration?: unknown;
  [key: string]: unknown;
}

export interface PlanPolicyInput {
  environment: string;
  plan: TerraformPlanJson;
}

export interface Violation {
  /** Stable rule id, e.g. `s3_encryption`, `open_ingress`. */
  rule: string;
  /** Resource address in the plan. */
  address: string;
  message: string;
}

export interface PolicyResult {
  /** Violations that stop a deployment. */
  denies: Violation[];
  /** Violations shown to the approver. */
  warnings: Violation[];
}

/**
 * Violations as plain {rule, address, message} in a stable order (rule, address, message), whatever
 * order and key order the evaluator produced, so results compare equal across evaluators.
 */
export function sortViolations(violations: readonly Violation[]): Violation[] {
  return violations
    .map(({ rule, address, message }) => ({
      key: `${rule}\u0000${address}\u0000${message}`,
      rule,
      address,
      message,
    }))
    .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    .map(({ rule, address, message }) => ({ rule, address, message }));
}
