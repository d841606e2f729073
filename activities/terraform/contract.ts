/**
 * What the terraform pool's IaC activities take and return. Shared by the activities and the provision
 * workflow. Large artifacts (configuration files, the saved plan, plan JSON, logs) never travel through
 * workflow history: they are stored in PostgreSQL and referenced by id.
 */

import type { PlanChangeSummary } from '../../lib/risk/features.js';

/** A reference to an artifact stored by lib/artifacts (PostgreSQL), e.g. `art_<sha256 prefix>`. */
export type ArtifactRef = string;

export interface PrepareWorkspaceInput {
  deploymentId: string;
  blueprintId: string;
  blueprintVersion: string;
  environment: string;
  /** Names the state workspace together with the environment. Default: the blueprint id. */
  stack?: string;
  /** Non-secret variable values for this deployment (secrets reach tofu as TF_VAR_* on the worker). */
  variables?: Record<string, unknown>;
}

export interface PreparedWorkspace {
  workspaceId: string;
  /** The synthesized configuration files, stored by reference. */
  configRef: ArtifactRef;
  configHash: string;
  stack: string;
  environment: string;
  stateSchema: string;
}

export type ResourceAction = 'create' | 'update' | 'delete' | 'replace' | 'read' | 'no-op';

/**
 * Counts never overlap: a replacement counts in `replace` only (tofu's own summary counts it in both
 * "to add" and "to destroy"). No-op resources are not listed.
 */
export interface PlanSummary {
  add: number;
  change: number;
  destroy: number;
  replace: number;
  resources: Array<{ address: string; type: string; action: ResourceAction }>;
}

export interface PlanInput {
  workspace: PreparedWorkspace;
  /** Plan the destruction of everything in the workspace (compensation, teardown). */
  destroy?: boolean;
}

export interface PlanOutcome {
  /** The saved binary plan (`tofu plan -out`). */
  planRef: ArtifactRef;
  /** `tofu show -json` of the saved plan, sensitive values redacted. */
  planJsonRef: ArtifactRef;
  /** Identifies the change: approvals name it, apply refuses any other. */
  planHash: string;
  summary: PlanSummary;
  /** The change counted the way the change-risk model reads it; absent in results of older workers. */
  changes?: PlanChangeSummary;
  hasChanges: boolean;
}

export interface ApplyInput {
  workspace: PreparedWorkspace;
  plan: Pick<PlanOutcome, 'planRef' | 'planHash'>;
}

export interface ApplyOutcome {
  /** Non-sensitive outputs; sensitive ones are listed by name only. */
  outputs: Record<string, unknown>;
  sensitiveOutputs: string[];
  /** Addresses of resources that exist after the apply (from the state). */
  resources: Array<{ address: string; type: string; id?: string }>;
  logRef: ArtifactRef;
}

export interface DriftOutcome {
  drifted: boolean;
  summary: PlanSummary;
  planJsonRef: ArtifactRef;
}

/** Input of destroyWorkspace, detectDrift and cleanupWorkspace. */
export interface WorkspaceInput {
  workspace: PreparedWorkspace;
}

/** A deployment's workspace named by what its id derives from (prepareWorkspace's input), not by its row. */
export interface DeploymentWorkspace {
  deploymentId: string;
  stack: string;
  environment: string;
}

/**
 * Input of cleanupWorkspace: the prepared workspace, or the deployment's, which may never have been
 * prepared (the undo of planDeployment, registered before it ran).
 */
export type CleanupInput = WorkspaceInput | { deployment: DeploymentWorkspace };

/** Result of planDeployment: prepareWorkspace's and planWorkspace's in one. */
export interface PlannedDeployment {
  workspace: PreparedWorkspace;
  plan: PlanOutcome;
}

export interface DestroyOutcome {
  /** Addresses destroyed by this call; empty when the state held nothing (a repeated destroy). */
  destroyed: string[];
  /** Log of the destroy apply; absent when there was nothing to destroy. */
  logRef?: ArtifactRef;
}

export interface CleanupOutcome {
  /** True when the stack's state held no resources and its state schema was dropped. */
  stateDropped: boolean;
}

/** Heartbeat details of the terraform activities while tofu runs (latest heartbeat = progress). */
export interface TerraformProgress {
  phase: 'init' | 'plan' | 'show' | 'apply' | 'output';
  /** Tofu's latest message, e.g. `time_sleep.wait: Still creating... [10s elapsed]`. */
  line: string;
  /** Resources whose apply completed so far in this activity. */
  resourcesDone: number;
}
