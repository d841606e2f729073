import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ActivityDeps } from '../deps.js';
import { pingActivity } from '../ping.js';
import { getArtifact, maxArtifactBytes, putArtifact, type ArtifactInput } from '../../lib/artifacts/store.js';
import { getWorkspace, markWorkspaceCleaned } from '../../lib/artifacts/workspaces.js';
import type { TerraformPlanJson } from '../../lib/policy/types.js';
import { TofuFailed } from '../../lib/tofu/runner.js';
import {
  planHash,
  planHasChanges,
  redactOutputs,
  stateResources,
  summarizePlan,
} from '../../lib/tofu/plan-json.js';
import type {
  ApplyInput,
  ApplyOutcome,
  CleanupOutcome,
  DestroyOutcome,
  DriftOutcome,
  PlanInput,
  PlanOutcome,
  PreparedWorkspace,
  PrepareWorkspaceInput,
  WorkspaceInput,
} from './contract.js';
import { invalidInput, stalePlan, toActivityFailure } from './failures.js';
import { prepareWorkspace } from './prepare.js';
import { progressReporter, type ProgressReporter } from './progress.js';
import { dropStateSchema, stateResourceCount } from './state-schema.js';
import { STATE_LOCK_TIMEOUT, withWorkdir, type Workdir } from './workdir.js';

const PLAN_FILE = 'plan.bin';
const LOCK = `-lock-timeout=${STATE_LOCK_TIMEOUT}`;

function checkWorkspace(input: { workspace?: PreparedWorkspace } | undefined): PreparedWorkspace {
  const ws = input?.workspace;
  if (!ws || typeof ws !== 'object') throw invalidInput('workspace', 'the result of prepareWorkspace');
  for (const field of ['workspaceId', 'configRef', 'configHash', 'stateSchema'] as const) {
    if (typeof ws[field] !== 'string' || ws[field] === '') {
      throw invalidInput(`workspace.${field}`, 'a non-empty string (from prepareWorkspace)');
    }
  }
  return ws;
}

interface SavedPlan {
  planJson: TerraformPlanJson;
  planJsonText: string;
}

async function showPlan(workdir: Workdir, progress: ProgressReporter): Promise<SavedPlan> {
  progress.phase('show');
  const { stdout } = await workdir.run('show', ['-json', PLAN_FILE], { signal: progress.signal });
  return { planJsonText: stdout, planJson: JSON.parse(stdout) as TerraformPlanJson };
}

async function makePlan(
  workdir: Workdir,
  progress: ProgressReporter,
  options: { destroy?: boolean; detailedExitCode?: boolean } = {},
): Promise<SavedPlan & { exitCode: number }> {
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

  return {
    ping: pingActivity('terraform'),

    /** Synthesizes the blueprint version for the environment and records the workspace. Idempotent. */
    prepareWorkspace: (input: PrepareWorkspaceInput): Promise<PreparedWorkspace> =>
      prepareWorkspace(deps, input),

    /** `plan -out` (or `-destroy`) and `show -json`; both stored as artifacts, only refs returned. */
    async planWorkspace(input: PlanInput): Promise<PlanOutcome> {
      const ws = checkWorkspace(input);
      return tracked((progress) =>
        workdir(ws, progress, async (w) => {
          const { planJson, planJsonText } = await makePlan(w, progress, { destroy: input.destroy === true });
          const planRef = await storeArtifact(deps, {
            kind: 'plan',
            content: await readFile(path.join(w.dir, PLAN_FILE)),
            mediaType: 'application/octet-stream',
          });
          const planJsonRef = await storeArtifact(deps, {
            kind: 'plan-json',
            content: planJsonText,
            mediaType: 'application/json',
          });
          const summary = summarizePlan(planJson);
          return {
            planRef,
            planJsonRef,
            planHash: planHash(planJson, ws.configHash),
            summary,
            hasChanges: planHasChanges(summary),
          };
        }),
      );
    },

    /**
     * Applies exactly the saved plan: its content must hash to the approved planHash, and tofu itself
     * refuses it if the state changed since (StalePlan). Never plans afresh.
     */
    async applyPlan(input: ApplyInput): Promise<ApplyOutcome> {
      const ws = checkWorkspace(input);
      const { planRef, planHash: approved } = input.plan ?? {};
      if (typeof planRef !== 'string' || typeof approved !== 'string') {
        throw invalidInput('plan', '{planRef, planHash} from planWorkspace');
      }
      return tracked((progress) =>
        workdir(ws, progress, async (w) => {
          await writeFile(path.join(w.dir, PLAN_FILE), (await getArtifact(deps.db, planRef)).content);
          const { planJson } = await showPlan(w, progress);
          const actual = planHash(planJson, ws.configHash);
          if (actual !== approved) {
            throw stalePlan(`saved plan ${planRef} has hash ${actual}, not the approved ${approved}`);
          }
          const { logRef } = await applySaved(deps, w, progress);
          progress.phase('output');
          // The state's JSON carries the outputs too (same shape as `output -json`): one tofu process
          // fewer per apply.
          const state = JSON.parse((await w.run('show', ['-json'])).stdout) as Parameters<
            typeof stateResources
          >[0] & { values?: { outputs?: Parameters<typeof redactOutputs>[0] } };
          return { ...redactOutputs(state.values?.outputs ?? {}), resources: stateResources(state), logRef };
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
          const { planJson, planJsonText, exitCode } = await makePlan(w, progress, {
            detailedExitCode: true,
          });
          const planJsonRef = await storeArtifact(deps, {
            kind: 'plan-json',
            content: planJsonText,
            mediaType: 'application/json',
          });
          return { drifted: exitCode === 2, summary: summarizePlan(planJson), planJsonRef };
        }),
      );
    },

    /**
     * Marks the workspace cleaned, and drops the stack's state schema when the state holds no resources
     * (after a destroy): an empty state carries nothing worth keeping. Idempotent.
     */
    async cleanupWorkspace(input: WorkspaceInput): Promise<CleanupOutcome> {
      const { workspaceId } = checkWorkspace(input);
      try {
        // The schema comes from our own row, not from the input: this drops a schema.
        const row = await getWorkspace(deps.db, workspaceId);
        await markWorkspaceCleaned(deps.db, workspaceId);
        if ((await stateResourceCount(deps.db, row.stateSchema)) > 0) return { stateDropped: false };
        await dropStateSchema(deps.db, row.stateSchema);
        return { stateDropped: true };
      } catch (error) {
        throw toActivityFailure(error);
      }
    },
  };
}
