import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import type { TerraformPlanJson } from '../../lib/policy/types.js';
import {
  extractRiskFeatures,
  namedFeatures,
  type FeatureName,
  type PlanChangeSummary,
  type StackHistory,
} from '../../lib/risk/features.js';
import { stackHistory } from '../../lib/risk/history.js';
import { cachedRiskModel, riskModelPath, RiskModelInvalid } from '../../lib/risk/model.js';
import { riskLevel, riskThresholdsFromEnv, type RiskLevel } from '../../lib/risk/options.js';
import { activityOrigin } from '../origin.js';
import { pingActivity } from '../ping.js';
import { createAlertMlActivities } from './alerts.js';

export interface ScoreChangeRiskInput {
  /** The change: its summary (what a plan step returns; preferred, small) or the plan JSON itself. */
  summary?: PlanChangeSummary;
  plan?: TerraformPlanJson;
  environment: string;
  /** When the change is to be applied (ISO 8601): the workflow's time, so a retry scores the same. */
  at: string;
  /** The stack's record; when absent it is read from `runs` for `stack` (required then). */
  history?: StackHistory;
  stack?: string;
}

export interface ChangeRiskScore {
  /** Probability (0..1) that the change causes an incident. */
  score: number;
  level: RiskLevel;
  features: Record<FeatureName, number>;
  modelVersion: string;
}

/** Failure type of a change-risk model whose files disagree or fit other features: never retried. */
export const RISK_MODEL_INVALID = 'RiskModelInvalid';

function invalid(message: string): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`scoreChangeRisk: ${message}`, 'InvalidRiskInput');
}

/** Activities of the ml pool: model inference, bounded by the pool's own concurrency (a bulkhead). */
export function createMlActivities(deps: ActivityDeps) {
  // Read once per worker: a bad setting fails the worker at start, not every activity.
  const thresholds = riskThresholdsFromEnv(deps.env);
  const modelPath = riskModelPath(deps.env);
  return {
    ping: pingActivity('ml'),
    ...createAlertMlActivities(deps),

    /** Scores a change with the change-risk model (loaded once per worker process, on first use). */
    async scoreChangeRisk(input: ScoreChangeRiskInput): Promise<ChangeRiskScore> {
      const change = input?.summary ?? input?.plan;
      if (change === undefined || change === null) throw invalid('summary or plan: expected one of them');
      if (typeof input.environment !== 'string' || input.environment === '') {
        throw invalid('environment: expected a non-empty string');
      }
      const at = new Date(input.at);
      if (Number.isNaN(at.getTime()))
        throw invalid(`at: expected an ISO 8601 time, got ${JSON.stringify(input.at)}`);
      let history = input.history;
      if (history === undefined) {
        if (typeof input.stack !== 'string') throw invalid('history or stack: expected one of them');
        const { workflowId } = activityOrigin();
        history = await stackHistory(deps.db, {
          target: input.stack,
          environment: input.environment,
          at,
          ...(workflowId !== undefined ? { excludeWorkflowId: workflowId } : {}),
        });
      }
      let features: Float32Array;
      try {
        features = extractRiskFeatures(change, { environment: input.environment, at, history });
      } catch (error) {
        throw invalid(error instanceof Error ? error.message : String(error));
      }
      const model = await cachedRiskModel(modelPath).catch((error: unknown) => {
        // Wrong until someone replaces the worker's model files: a retry would load the same ones.
        if (error instanceof RiskModelInvalid)
          throw ApplicationFailure.nonRetryable(`scoreChangeRisk: ${error.message}`, RISK_MODEL_INVALID);
        throw error;
      });
      const [score = Number.NaN] = await model.predict([features]);
      return {
        score,
        level: riskLevel(score, thresholds),
        features: namedFeatures(features),
        modelVersion: model.version,
      };
    },
  };
}
