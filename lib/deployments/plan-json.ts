import { getArtifactText } from '../artifacts/store.js';
import type { Queryable } from '../db/pool.js';
import { DharmaError } from '../errors.js';
import type { TerraformPlanJson } from '../policy/types.js';

export class PlanJsonInvalid extends DharmaError {}

/** The plan JSON (`tofu show -json`) stored as an artifact by the plan step. */
export async function loadPlanJson(db: Queryable, ref: string): Promise<TerraformPlanJson> {
  const text = await getArtifactText(db, ref);
  let plan: unknown;
  try {
    plan = JSON.parse(text);
  } catch (error) {
    throw new PlanJsonInvalid(`artifact ${ref} is not JSON: ${(error as Error).message}`);
  }
  if (typeof plan !== 'object' || plan === null || Array.isArray(plan)) {
    throw new PlanJsonInvalid(`artifact ${ref}: expected a plan object (the output of \`tofu show -json\`)`);
  }
  return plan as TerraformPlanJson;
}
