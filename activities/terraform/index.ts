import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActivityDeps } from '../deps.js';
import { pingActivity } from '../ping.js';
import { getArtifact, maxArtifactBytes, putArtifact, type ArtifactInput } from '../../lib/artifacts/store.js';
import { redactPlanJson } from '../../lib/deployments/plan-redact.js';
import type { TerraformPlanJson } from '../../lib/policy/types.js';
import { summarizePlanChanges } from '../../lib/risk/features.js';
import { TofuFailed } from '../../lib/tofu/runner.js';
import { planHash, planHasChanges, summarizePlan } from '../../lib/tofu/plan-json.js';
import type {
  ApplyInput,
  ApplyOutcome,
  CleanupInput,
  CleanupOutcome,
  DestroyOutcome,
  DriftOutcome,
  PlanInput,
  PlannedDeployment,
  PlanOutcome,
  PreparedWorkspace,
  PrepareWorkspaceInput,
  WorkspaceInput,
} from './contract.js';
import { invalidInput, stalePlan, toActivityFailure } from './failures.js';
import { checkWorkspace } from './workspace-input.js';
import { cleanupWorkspace } from './cleanup.js';
import { bindPlan, isBound } from './plan-binding.js';
import { prepareWorkspace } from './prepare.js';
import { progressReporter, type ProgressReporter } from './progress.js';
import { stateOutcome } from './state-schema.js';
import { STATE_LOCK_TIMEOUT, withWorkdir, type Workdir } from './workdir.js';

const PLAN_FILE = 'plan.bin';
const LOCK = `-lock-timeout=${STATE_LOCK_TIMEOUT}`;

interface SavedPlan {
  planJson: TerraformPlanJson;
}

async function showPlan(workdir: Workdir, progress: ProgressReporter): Promise<SavedPlan> {
  progress.phase('show');
  const { stdout } = await workdir.run('show', ['-json', PLAN_FILE], { signal: progress.signal });
  return { planJson: JSON.parse(stdout) as TerraformPlanJson };
}

/** `tofu plan -out`; answers tofu's exit code (2: changes, with detailedExitCode). */
async function runPlan(
  workdir: Workdir,
  progress: ProgressReporter,
  options: { destroy?: boolean; detailedExitCode?: boolean } = {},
): Promise<number> {
  progress.phase('plan');
  const { exitCode } = await workdir
    .run(
      'plan',
      [
        '-json',
        LOCK,
        `-out=${PLAN_FILE}`,
        ...(options.destroy ? ['-destroy'] : []),
        ...(options.detailedExitCode ? ['-detailed-exitcode'] : []),
      ],
      {
        onLine: progress.onLine,
        signal: progress.signal,
        ...(options.detailedExitCode ? { okExitCodes: [0, 2] } : {}),
      },
    )
    .catch(async (error: unknown) => {
      // Plan errors mix configuration mistakes (never fixed by a retry) with provider and backend
      // trouble (maybe fixed by one); `validate` tells the first kind apart, and its failure wins.
      if (error instanceof TofuFailed) await workdir.run('validate', [], { signal: progress.signal });
      throw error;
    });
  return exitCode;
}

async function makePlan(
  workdir: Workdir,
  progress: ProgressReporter,
  options: { destroy?: boolean; detailedExitCode?: boolean } = {},
): Promise<SavedPlan & { exitCode: number }> {
  const exitCode = await runPlan(workdir, progress, options);
  return { ...(await showPlan(workdir, progress)), exitCode };
}

/** Applies the plan file in the workdir; the log is stored whatever the outcome. */
async function applySaved(
  deps: ActivityDeps,
  workdir: Workdir,
  progress: ProgressReporter,
): Promise<{ logRef: string }> {
  progress.phase('apply');
  try {
    await workdir.run('apply', ['-json', LOCK, PLAN_FILE], {
      onLine: progress.onLine,
      signal: progress.signal,
    });
  } catch (error) {
    // The log helps whoever investigates the failure, but must never mask it.
    const logRef = await storeLog(deps, progress).catch(() => undefined);
    throw toActivityFailure(error, logRef ? { logRef } : undefined);
  }
  return { logRef: await storeLog(deps, progress) };
}

function storeLog(deps: ActivityDeps, progress: ProgressReporter): Promise<string> {
  return storeArtifact(deps, { kind: 'tofu-log', content: progress.log(), mediaType: 'text/plain' });
}

function storeArtifact(deps: ActivityDeps, artifact: ArtifactInput): Promise<string> {
  return putArtifact(deps.db, artifact, { maxBytes: maxArtifactBytes(deps.env) });
}

/**
 * The plan JSON as stored: sensitive values are redacted once here, so nothing that reads the artifact
 * (the API, policies, cost) ever holds them. Apply uses the binary plan, never this.
 */
function storePlanJson(deps: ActivityDeps, planJson: TerraformPlanJson): Promise<string> {
  return storeArtifact(deps, {
    kind: 'plan-json',
    content: JSON.stringify(redactPlanJson(planJson)),
    mediaType: 'application/json',
  });
}

/** Runs `work` with a progress reporter, turning errors into the activity's typed failures. */
async function tracked<T>(work: (progress: ProgressReporter) => Promise<T>): Promise<T> {
  const progress = progressReporter('init');
  try {
    return await work(progress);
  } catch (error) {
    throw toActivityFailure(error);
  } finally {
    progress.stop();
  }
}

/** Activities of the terraform pool: synthesis, plan, apply, destroy and drift checks with OpenTofu. */
export function createTerraformActivities(deps: ActivityDeps) {
  const workdir = <T>(ws: PreparedWorkspace, progress: ProgressReporter, work: (w: Workdir) => Promise<T>) =>
    withWorkdir(deps, ws, { onLine: progress.onLine, signal: progress.signal }, work);

  /**
   * `plan -out` (or `-destroy`) and `show -json`; both stored as artifacts, only refs returned. The plan
   * is bound to its hash here, so apply can trust it without asking tofu again.
   */
  async function plan(input: PlanInput): Promise<PlanOutcome> {
    const ws = checkWorkspace(input);
    return tracked((progress) =>
      workdir(ws, progress, async (w) => {
        await runPlan(w, progress, { destroy: input.destroy === true });
        // Storing the saved plan does not wait for tofu to print it, nor the other way round.
        const [{ planJson }, planRef] = await Promise.all([
          showPlan(w, progress),
          readFile(path.join(w.dir, PLAN_FILE)).then((content) =>
            storeArtifact(deps, { kind: 'plan', content, mediaType: 'application/octet-stream' }),
          ),
        ]);
        const hash = planHash(planJson, ws.configHash);
        const [planJsonRef] = await Promise.all([
          storePlanJson(deps, planJson),
          bindPlan(deps, { planRef, planHash: hash, configHash: ws.configHash }),
        ]);
        const summary = summarizePlan(planJson);
        return {
          planRef,
          planJsonRef,
          planHash: hash,
          summary,
          changes: summarizePlanChanges(planJson),
          hasChanges: planHasChanges(summary),
        };
      }),
    );
  }

  return {
    ping: pingActivity('terraform'),

    /** Synthesizes the blueprint version for the environment and records the workspace. Idempotent. */
    prepareWorkspace: (input: PrepareWorkspaceInput): Promise<PreparedWorkspace> =>
      prepareWorkspace(deps, input),

    planWorkspace: plan,

    /** prepareWorkspace, then planWorkspace in it: the saga's plan step in one round trip. */
    async planDeployment(input: PrepareWorkspaceInput): Promise<PlannedDeployment> {
      const workspace = await prepareWorkspace(deps, input);
      return { workspace, plan: await plan({ workspace }) };
    },

    /**
     * Applies exactly the saved plan: it must be bound to the approved planHash (or, for a plan without
     * a binding, its content must hash to it), and tofu itself refuses it if the state changed since
     * (StalePlan). Never plans afresh.
     */
    async applyPlan(input: ApplyInput): Promise<ApplyOutcome> {
      const ws = checkWorkspace(input);
      const { planRef, planHash: approved } = input.plan ?? {};
      if (typeof planRef !== 'string' || typeof approved !== 'string') {
        throw invalidInput('plan', '{planRef, planHash} from planWorkspace');
      }
      return tracked((progress) =>
        workdir(ws, progress, async (w) => {
          const [saved, bound] = await Promise.all([
            getArtifact(deps.db, planRef),
            isBound(deps, { planRef, planHash: approved, configHash: ws.configHash }),
          ]);
          await writeFile(path.join(w.dir, PLAN_FILE), saved.content);
          if (!bound) {
            const { planJson } = await showPlan(w, progress);
            const actual = planHash(planJson, ws.configHash);
            if (actual !== approved) {
              throw stalePlan(`saved plan ${planRef} has hash ${actual}, not the approved ${approved}`);
            }
          }
          const { logRef } = await applySaved(deps, w, progress);
          progress.phase('output');
          return { ...(await stateOutcome(deps.db, w.stateSchema)), logRef };
        }),
      );
    },

    /** Destroys everything in the workspace's state (compensation). Nothing left to destroy is success. */
    async destroyWorkspace(input: WorkspaceInput): Promise<DestroyOutcome> {
      const ws = checkWorkspace(input);
      return tracked((progress) =>
        workdir(ws, progress, async (w) => {
          const { planJson } = await makePlan(w, progress, { destroy: true });
          const summary = summarizePlan(planJson);
          if (!planHasChanges(summary)) return { destroyed: [] };
          const { logRef } = await applySaved(deps, w, progress);
          return { destroyed: summary.resources.map((r) => r.address), logRef };
        }),
      );
    },

    /** `plan -detailed-exitcode`: exit 2 means the real infrastructure differs from the configuration. */
    async detectDrift(input: WorkspaceInput): Promise<DriftOutcome> {
      const ws = checkWorkspace(input);
      return tracked((progress) =>
        workdir(ws, progress, async (w) => {
          const { planJson, exitCode } = await makePlan(w, progress, { detailedExitCode: true });
          const planJsonRef = await storePlanJson(deps, planJson);
          return { drifted: exitCode === 2, summary: summarizePlan(planJson), planJsonRef };
        }),
      );
    },

    /** See cleanup.ts; the orchestration pool runs the same as cleanupDeploymentWorkspace. */
    cleanupWorkspace: (input: CleanupInput): Promise<CleanupOutcome> => cleanupWorkspace(deps, input),
  };
}
