import type { TerraformPlanJson } from '../policy/types.js';
import { RESOURCE_KINDS, resourceKind, type ResourceKind } from './kinds.js';
import { effectiveChanges } from './plan-changes.js';

/**
 * The change-risk model's input, in order. Must equal FEATURES in models/change-risk/data.py; the model
 * loader checks it against model-meta.json, so a retrained model with another order fails at load.
 */
export const FEATURE_NAMES = [
  'creates',
  'updates',
  'deletes',
  'replaces',
  ...RESOURCE_KINDS.map((kind) => `kind_${kind}` as const),
  'env_dev',
  'env_staging',
  'env_production',
  'hour_utc',
  'weekend',
  'recent_failure_rate',
  'deployments_7d',
] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** What a plan changes, counted: small enough to travel through workflow history, unlike the plan. */
export interface PlanChangeSummary {
  creates: number;
  updates: number;
  deletes: number;
  replaces: number;
  /** Changed resources (any action) per kind family. */
  kinds: Record<ResourceKind, number>;
}

/** The stack's recent record in the target environment (see `stackHistory`). */
export interface StackHistory {
  /** Share of the last runs that failed or rolled back, 0..1 (0 for a new stack). */
  recentFailureRate: number;
  /** Runs in the 7 days before the change. */
  deploymentsLast7Days: number;
}

export interface RiskContext {
  environment: string;
  at: Date;
  history: StackHistory;
}

export function summarizePlanChanges(plan: TerraformPlanJson): PlanChangeSummary {
  const summary: PlanChangeSummary = {
    creates: 0,
    updates: 0,
    deletes: 0,
    replaces: 0,
    kinds: { database: 0, network: 0, compute: 0, storage: 0, iam: 0, other: 0 },
  };
  for (const { change, action } of effectiveChanges(plan)) {
    summary[`${action}s`]++;
    summary.kinds[resourceKind(change.type)]++;
  }
  return summary;
}

function isSummary(value: TerraformPlanJson | PlanChangeSummary): value is PlanChangeSummary {
  return typeof (value as PlanChangeSummary).kinds === 'object' && typeof value.creates === 'number';
}

function count(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw new TypeError(`${field}: expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * The model's feature vector for a change (a plan or its summary) in its context. Environments other
 * than dev/staging/production are encoded as staging: the middle of the risk range, as the model card says.
 */
export function extractRiskFeatures(
  change: TerraformPlanJson | PlanChangeSummary,
  context: RiskContext,
): Float32Array {
  const summary = isSummary(change) ? change : summarizePlanChanges(change);
  const { environment, at, history } = context;
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) {
    throw new TypeError(`at: expected a valid date, got ${String(at)}`);
  }
  const failureRate = history.recentFailureRate;
  if (typeof failureRate !== 'number' || !(failureRate >= 0 && failureRate <= 1)) {
    throw new TypeError(
      `history.recentFailureRate: expected a number in 0..1, got ${JSON.stringify(failureRate)}`,
    );
  }
  const env = environment === 'dev' || environment === 'production' ? environment : 'staging';
  const day = at.getUTCDay();
  const values: Record<FeatureName, number> = {
    creates: count(summary.creates, 'creates'),
    updates: count(summary.updates, 'updates'),
    deletes: count(summary.deletes, 'deletes'),
    replaces: count(summary.replaces, 'replaces'),
    kind_database: count(summary.kinds.database, 'kinds.database'),
    kind_network: count(summary.kinds.network, 'kinds.network'),
    kind_compute: count(summary.kinds.compute, 'kinds.compute'),
    kind_storage: count(summary.kinds.storage, 'kinds.storage'),
    kind_iam: count(summary.kinds.iam, 'kinds.iam'),
    kind_other: count(summary.kinds.other, 'kinds.other'),
    env_dev: env === 'dev' ? 1 : 0,
    env_staging: env === 'staging' ? 1 : 0,
    env_production: env === 'production' ? 1 : 0,
    hour_utc: at.getUTCHours(),
    weekend: day === 0 || day === 6 ? 1 : 0,
    recent_failure_rate: failureRate,
    deployments_7d: count(history.deploymentsLast7Days, 'history.deploymentsLast7Days'),
  };
  return Float32Array.from(FEATURE_NAMES, (name) => values[name]);
}

/** A feature vector as a name → value record, for approvers and logs. */
export function namedFeatures(features: Float32Array): Record<FeatureName, number> {
  return Object.fromEntries(FEATURE_NAMES.map((name, i) => [name, features[i] ?? 0])) as Record<
    FeatureName,
    number
  >;
}
