import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import { ArtifactNotFound } from '../../lib/artifacts/store.js';
import { loadPlanJson, PlanJsonInvalid } from '../../lib/deployments/plan-json.js';
import { loadPolicyEvaluator, policyWasmPath, type PolicyEvaluator } from '../../lib/policy/evaluate.js';
import type { PolicyResult } from '../../lib/policy/types.js';

/** Failure type of a plan the guardrails deny; its details hold every violation. Never retried. */
export const POLICY_DENIED = 'PolicyDenied';

export interface EvaluatePlanPolicyInput {
  /** Ref of the plan JSON artifact (`tofu show -json`). */
  planJsonRef: string;
  environment: string;
}

// One compiled policy per wasm file per process: loading compiles the module, evaluating is cheap.
const evaluators = new Map<string, Promise<PolicyEvaluator>>();

function evaluatorFor(wasmPath: string): Promise<PolicyEvaluator> {
  let evaluator = evaluators.get(wasmPath);
  if (!evaluator) {
    evaluator = loadPolicyEvaluator(wasmPath);
    // A failed load (missing bundle) is not cached: the next attempt reads the file again.
    evaluator.catch(() => evaluators.delete(wasmPath));
    evaluators.set(wasmPath, evaluator);
  }
  return evaluator;
}

/** Guardrails (domain section 2) on the trust pool: the plan's resource changes against the Rego policies. */
export function createPolicyActivities(deps: ActivityDeps) {
  const wasmPath = policyWasmPath(deps.env);
  return {
    /**
     * Evaluates the plan. Denies fail the activity with a non-retryable `PolicyDenied` whose message lists
     * every violation (and whose details are the full result); warnings are returned for the approval.
     */
    async evaluatePlanPolicy(input: EvaluatePlanPolicyInput): Promise<PolicyResult> {
      if (typeof input?.planJsonRef !== 'string' || typeof input.environment !== 'string') {
        throw ApplicationFailure.nonRetryable(
          'evaluatePlanPolicy: expected {planJsonRef: string, environment: string}',
          'InvalidPolicyInput',
        );
      }
      let plan;
      try {
        plan = await loadPlanJson(deps.db, input.planJsonRef);
      } catch (error) {
        if (error instanceof ArtifactNotFound || error instanceof PlanJsonInvalid) {
          throw ApplicationFailure.nonRetryable(error.message, 'InvalidPolicyInput');
        }
        throw error;
      }
      const evaluator = await evaluatorFor(wasmPath);
      const result = evaluator.evaluate({ environment: input.environment, plan });
      if (result.denies.length > 0) {
        throw ApplicationFailure.create({
          type: POLICY_DENIED,
          nonRetryable: true,
          message:
            `plan violates ${result.denies.length} policy rule(s): ` +
            result.denies.map((v) => `[${v.rule}] ${v.message}`).join('; '),
          details: [result],
        });
      }
      return result;
    },
  };
}
