import { proxyLocalActivities, type ActivityOptions } from '@temporalio/workflow';
import type { createProbeActivities } from '../../activities/cloud/probes.js';
import type { createEventsActivities } from '../../activities/events/index.js';
import type { createMlActivities } from '../../activities/ml/index.js';
import type { createNotifyActivities } from '../../activities/notify/index.js';
import type { IncidentActivities } from '../../activities/store/incidents.js';
import type { RemediationStoreActivities } from '../../activities/store/remediation.js';
import { actionBinding, type PlaybookAction } from '../../lib/playbooks/actions.js';
import {
  CONTROL_ACTIVITY_OPTIONS,
  LOCAL_CONTROL_OPTIONS,
  RESILIENCE_RETRY,
} from '../lib/activity-options.js';
import { poolActivities } from '../lib/pool-activities.js';

/** The on-call webhook. */
const NOTIFY_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '15s',
  retry: RESILIENCE_RETRY,
} as const satisfies ActivityOptions;

/** The classifier is an in-process model: a few quick attempts, then the incident escalates instead. */
const CLASSIFY_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '10s',
  retry: { initialInterval: '1s', backoffCoefficient: 2, maximumAttempts: 3 },
} as const satisfies ActivityOptions;

/**
 * One probe call is one observation: verification repeats the probes itself over its window, so an
 * activity retry would only blur when the target came back.
 */
const PROBE_ACTIVITY_OPTIONS = {
  startToCloseTimeout: '30s',
  retry: { maximumAttempts: 1 },
} as const satisfies ActivityOptions;

/** Default of a playbook step's `timeout`. */
const DEFAULT_ACTION_TIMEOUT = '5m';

/**
 * Actions touch real systems: a transient failure (network, throttling) gets two more tries; bad input,
 * allow-list refusals and missing resources are typed non-retryable by the actions themselves.
 */
const ACTION_RETRY = {
  ...RESILIENCE_RETRY,
  initialInterval: '2s',
} as const satisfies ActivityOptions['retry'];

/** The cloud pool's probes; each throws CheckFailed when it does not see health. */
type ProbeActivities = ReturnType<typeof createProbeActivities>;

type Store = IncidentActivities & RemediationStoreActivities;
type Events = ReturnType<typeof createEventsActivities>;

/** `local`: the store and event writes run as local activities (runs recorded before that schedule them). */
export function remediationActivities(local: boolean) {
  return {
    store: local
      ? proxyLocalActivities<Store>(LOCAL_CONTROL_OPTIONS)
      : poolActivities<Store>('orchestration', CONTROL_ACTIVITY_OPTIONS),
    events: local
      ? proxyLocalActivities<Events>(LOCAL_CONTROL_OPTIONS)
      : poolActivities<Events>('orchestration', CONTROL_ACTIVITY_OPTIONS),
    notify: poolActivities<ReturnType<typeof createNotifyActivities>>(
      'orchestration',
      NOTIFY_ACTIVITY_OPTIONS,
    ),
    ml: poolActivities<ReturnType<typeof createMlActivities>>('ml', CLASSIFY_ACTIVITY_OPTIONS),
    probes: poolActivities<ProbeActivities>('cloud', PROBE_ACTIVITY_OPTIONS),
  };
}

export type RemediationActivities = ReturnType<typeof remediationActivities>;

type ActionActivity = (params: Record<string, unknown>) => Promise<unknown>;

/** The activity behind a playbook action, on the pool the action catalog names, with the step's timeout. */
export function actionActivity(action: PlaybookAction, timeout = DEFAULT_ACTION_TIMEOUT): ActionActivity {
  const { pool, activity } = actionBinding(action);
  const proxy = poolActivities<Record<string, ActionActivity>>(pool, {
    startToCloseTimeout: timeout,
    retry: ACTION_RETRY,
  });
  return proxy[activity]!;
}
