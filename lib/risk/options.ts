import { setting, type Env, type SettingName } from '../config.js';
import { ConfigError } from '../errors.js';

export type RiskLevel = 'low' | 'medium' | 'high';

/** Scores from `medium` up are medium, from `high` up high (see the model card for the defaults). */
export interface RiskThresholds {
  medium: number;
  high: number;
}

function probabilitySetting(name: SettingName, env: Env): number {
  const raw = setting(name, env);
  const value = Number(raw);
  if (raw.trim() === '' || !(value > 0 && value < 1))
    throw new ConfigError(name, 'a probability between 0 and 1', raw);
  return value;
}

export function riskThresholdsFromEnv(env: Env = process.env): RiskThresholds {
  const medium = probabilitySetting('RISK_MEDIUM_THRESHOLD', env);
  const high = probabilitySetting('RISK_HIGH_THRESHOLD', env);
  if (high <= medium) {
    throw new ConfigError(
      'RISK_HIGH_THRESHOLD',
      `a probability above RISK_MEDIUM_THRESHOLD (${medium})`,
      String(high),
    );
  }
  return { medium, high };
}

export function riskLevel(score: number, thresholds: RiskThresholds): RiskLevel {
  if (score >= thresholds.high) return 'high';
  if (score >= thresholds.medium) return 'medium';
  return 'low';
}
