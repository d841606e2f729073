import type { ActivityDeps } from '../deps.js';
import {
  artifactRef,
  ArtifactNotFound,
  getArtifact,
  maxArtifactBytes,
  putArtifact,
} from '../../lib/artifacts/store.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';

/** Which change a saved plan makes, as planWorkspace learnt it from `tofu show -json` of that very file. */
export interface PlanBinding {
  planRef: string;
  planHash: string;
  configHash: string;
}

/** Marks the content as a binding: no other artifact can have these bytes by chance. */
const FORMAT = 'dharma.plan-binding/v1';

function content(binding: PlanBinding): string {
  return canonicalJson({
    format: FORMAT,
    planRef: binding.planRef,
    planHash: binding.planHash,
    configHash: binding.configHash,
  });
}

/**
 * Records, at plan time, that the saved plan `planRef` (content-addressed) makes the change `planHash`.
 * Stored as an artifact addressed by its own content, so the record is found again from the three values
 * alone and a retried plan writes no second one.
 */
export async function bindPlan(deps: ActivityDeps, binding: PlanBinding): Promise<void> {
  await putArtifact(
    deps.db,
    { kind: 'plan-binding', content: content(binding), mediaType: 'application/json' },
    { maxBytes: maxArtifactBytes(deps.env) },
  );
}

/**
 * Whether planWorkspace bound this plan to this hash. Apply trusts a binding instead of asking tofu again
 * what the plan file changes; without one (a plan made before bindings existed, or a pair that was never
 * planned together) it falls back to asking tofu.
 */
export async function isBound(deps: ActivityDeps, binding: PlanBinding): Promise<boolean> {
  try {
    // getArtifact checks the bytes against their ref: an altered record is refused, not trusted.
    await getArtifact(deps.db, artifactRef(content(binding)));
    return true;
  } catch (error) {
    if (error instanceof ArtifactNotFound) return false;
    throw error;
  }
}
