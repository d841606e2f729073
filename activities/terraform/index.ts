import type { ActivityDeps } from '../deps.js';
import { pingActivity } from '../ping.js';

/** Activities of the terraform pool (IaC synthesis, plan, apply arrive with the provisioning saga). */
export function createTerraformActivities(_deps: ActivityDeps) {
  return { ping: pingActivity('terraform') };
}
