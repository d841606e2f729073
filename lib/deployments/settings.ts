import { durationSetting, setting, type Env } from '../config.js';
import type { ProvisionSettings } from '../../workflows/provision/contract.js';

/**
 * The saga's settings from the environment, for whoever starts a provision run (API, remediation);
 * parsed at start-up so a bad value names its variable at once.
 */
export function provisionSettings(env: Env): ProvisionSettings {
  for (const name of [
    'APPROVAL_TIMEOUT',
    'APPROVAL_ESCALATE_BEFORE',
    'LOCK_LEASE',
    'DRIFT_INTERVAL',
  ] as const)
    durationSetting(name, env);
  return {
    approvalEnvironments: setting('DEPLOY_APPROVAL_ENVIRONMENTS', env)
      .split(',')
      .map((e) => e.trim())
      .filter((e) => e !== ''),
    driftInterval: setting('DRIFT_INTERVAL', env),
    approvalTimeout: setting('APPROVAL_TIMEOUT', env),
    approvalEscalateBefore: setting('APPROVAL_ESCALATE_BEFORE', env),
    lockLease: setting('LOCK_LEASE', env),
  };
}
