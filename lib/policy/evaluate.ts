import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadPolicy } from '@open-policy-agent/opa-wasm';
import { setting, type Env } from '../config.js';
import { DharmaError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { sortViolations, type PlanPolicyInput, type PolicyResult, type Violation } from './types.js';

/** The rule compiled into policy.wasm (`opa build -e`): `{deny, warn}` from one parse of the plan. */
export const POLICY_ENTRYPOINT = 'dharma/terraform/violations';

export function defaultPolicyWasmPath(): string {
  return path.join(packageRoot(), 'dist', 'policies', 'policy.wasm');
}

export function policyWasmPath(env: Env = process.env): string {
  return path.resolve(setting('POLICY_WASM', env) || defaultPolicyWasmPath());
}

export interface PolicyEvaluator {
  evaluate(input: PlanPolicyInput): PolicyResult;
}

function isViolation(value: unknown): value is Violation {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.rule === 'string' && typeof v.address === 'string' && typeof v.message === 'string';
}

/** A Rego set arrives from the wasm runtime as a JSON array of the set's members. */
function violations(members: unknown, rule: string): Violation[] {
  if (!Array.isArray(members) || !members.every(isViolation)) {
    throw new DharmaError(`policy rule ${rule} returned ${JSON.stringify(members)}, expected violations`);
  }
  return sortViolations(members);
}

/**
 * The part of a plan the policies read: resource changes without their sensitive maps (unknown-after-apply
 * values are read: a setting known only after apply is not a setting known to be safe), and the root
 * module's resource configuration (for references). The wasm runtime parses its whole input
 * on every evaluation, so dropping planned_values, prior_state and the rest (about a third of a plan)
 * is a third less work. A policy that starts reading another part must be added here; the parity test
 * against `opa eval` on full plans catches a mismatch.
 */
export function policyView(input: PlanPolicyInput): PlanPolicyInput {
  const { resource_changes: changes = [], configuration } = input.plan;
  const rootModule = (configuration as { root_module?: { resources?: unknown } } | undefined)?.root_module;
  return {
    environment: input.environment,
    plan: {
      resource_changes: changes.map(({ address, mode, type, name, change }) => ({
        address,
        mode,
        type,
        name,
        change: {
          actions: change.actions,
          before: change.before,
          after: change.after,
          ...(change.after_unknown ? { after_unknown: change.after_unknown } : {}),
        },
      })),
      configuration: { root_module: { resources: rootModule?.resources ?? [] } },
    },
  };
}

/**
 * Loads the compiled guardrails once; `evaluate` then runs synchronously in this process (no `opa`
 * process, no network), so it can gate every plan cheaply.
 */
export async function loadPolicyEvaluator(wasmPath: string = policyWasmPath()): Promise<PolicyEvaluator> {
  let wasm: Buffer;
  try {
    wasm = await readFile(wasmPath);
  } catch (error) {
    throw new DharmaError(
      `policy bundle ${wasmPath} is missing: run \`npm run setup\` (or set POLICY_WASM)`,
      {
        cause: error,
      },
    );
  }
  const policy = await loadPolicy(wasm);
  return {
    evaluate(input: PlanPolicyInput): PolicyResult {
      const resultSet = policy.evaluate(policyView(input), POLICY_ENTRYPOINT) as {
        result?: { deny?: unknown; warn?: unknown };
      }[];
      const result = resultSet[0]?.result;
      return {
        denies: violations(result?.deny, 'deny'),
        warnings: violations(result?.warn, 'warn'),
      };
    },
  };
}
