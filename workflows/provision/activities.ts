import { proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createDriftScheduleActivities } from '../../activities/control/drift-schedules.js';
import type { createEventsActivities } from '../../activities/events/index.js';
import type { createHealthCheckActivities } from '../../activities/cloud/health-checks.js';
import type { createMlActivities } from '../../activities/ml/index.js';
import type { createCostActivities } from '../../activities/store/cost.js';
import type { createDeploymentActivities } from '../../activities/store/deployments.js';
import type { createFinishDeploymentActivities } from '../../activities/store/finish-deployment.js';
import type { createTopologyActivities } from '../../activities/store/topology.js';
import type { createTerraformActivities } from '../../activities/terraform/index.js';
import type { createAccessRecheckActivities } from '../../activities/trust/access-recheck.js';
import type { createPolicyActivities } from '../../activities/trust/policy.js';
import { TERRAFORM_ACTIVITY_OPTIONS } from '../../lib/tofu/activity-options.js';
import {
  CONTROL_ACTIVITY_OPTIONS,
  LOCAL_CONTROL_OPTIONS,
  RESILIENCE_RETRY,
} from '../lib/activity-options.js';
import { poolActivities } from '../lib/pool-activities.js';
import { COMPENSATION_ACTIVITY_OPTIONS } from '../lib/saga.js';

/**
 * tofu runs use the terraform pool's own options: a short heartbeat timeout so a cancellation reaches
 * tofu within seconds, and the workflow waits until tofu has stopped before compensating.
 */
const TOFU_ACTIVITY_OPTIONS = TERRAFORM_ACTIVITY_OPTIONS.apply;

/** The undo of an apply (destroy, or re-apply of the previous version) runs tofu: compensation retries, tofu's timeouts. */
const TOFU_COMPENSATION_OPTIONS = {
  ...COMPENSATION_ACTIVITY_OPTIONS,
  startToCloseTimeout: TERRAFORM_ACTIVITY_OPTIONS.destroy.startToCloseTimeout,
  heartbeatTimeout: TERRAFORM_ACTIVITY_OPTIONS.destroy.heartbeatTimeout,
} as const satisfies ActivityOptions;

/** Policy, trust and risk: in-process evaluations, seconds at most. */
const EVALUATION_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 5 },
} as const satisfies ActivityOptions;

/** Health checks: domain resilience defaults (3 attempts, 1 s initial, doubling), so a target gets seconds to come up. */
const HEALTH_CHECK_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '5m',
  retry: RESILIENCE_RETRY,
} as const satisfies ActivityOptions;

type Store = ReturnType<typeof createDeploymentActivities> &
  ReturnType<typeof createFinishDeploymentActivities> &
  ReturnType<typeof createCostActivities> &
  ReturnType<typeof createTopologyActivities> &
  ReturnType<typeof createEventsActivities> &
  ReturnType<typeof createDriftScheduleActivities>;
type Terraform = ReturnType<typeof createTerraformActivities>;
type Trust = ReturnType<typeof createPolicyActivities> & ReturnType<typeof createAccessRecheckActivities>;

/** The activity proxies of the provision saga and the drift check, each bound to its pool. Call inside a workflow. */
export function provisionActivities() {
  return {
    store: poolActivities<Store>('orchestration', CONTROL_ACTIVITY_OPTIONS),
    /** The orchestration pool's activities run by the workflow's own worker (see LOCAL_CONTROL_OPTIONS). */
    local: proxyLocalActivities<Store>(LOCAL_CONTROL_OPTIONS),
    tofu: poolActivities<Terraform>('terraform', TOFU_ACTIVITY_OPTIONS),
    trust: poolActivities<Trust>('trust', EVALUATION_ACTIVITY_OPTIONS),
    ml: poolActivities<ReturnType<typeof createMlActivities>>('ml', EVALUATION_ACTIVITY_OPTIONS),
    health: poolActivities<ReturnType<typeof createHealthCheckActivities>>(
      'cloud',
      HEALTH_CHECK_ACTIVITY_OPTIONS,
    ),
    undoStore: poolActivities<Store>('orchestration', COMPENSATION_ACTIVITY_OPTIONS),
    undoTofu: poolActivities<Terraform>('terraform', TOFU_COMPENSATION_OPTIONS),
  };
}

export type ProvisionActivities = ReturnType<typeof provisionActivities>;
