/**
 * The remediation actions a playbook step may name, with the parameters each accepts. Kept free of
 * imports so workflows can read it too. The implementations live with the remediation activities; a
 * name here without one would be refused when the worker registers them, never silently skipped.
 */
export type ParamType = 'string' | 'integer' | 'boolean' | 'duration';

/** Bad input from a playbook: retrying cannot fix it, so it fails at once and names the field. */
export const INVALID_REMEDIATION_INPUT = 'InvalidRemediationInput';
/** The worker's allow-lists (REMEDIATION_LOG_DIRS, REMEDIATION_COMMANDS) or PostgreSQL forbid the action. */
export const REMEDIATION_REFUSED = 'RemediationRefused';
/** Failures an action raises before it touches anything. */
export const REFUSED_BEFORE_ACTING: ReadonlySet<string> = new Set([
  INVALID_REMEDIATION_INPUT,
  REMEDIATION_REFUSED,
]);

export interface ParamSpec {
  readonly type: ParamType;
  readonly required: boolean;
  readonly description: string;
}

/** Pools that run playbook actions; each action's activity is registered on that pool's workers. */
export type ActionPool = 'cloud' | 'orchestration';

export interface ActionSpec {
  readonly description: string;
  readonly pool: ActionPool;
  /** Activity name: it takes the rendered params as its input and returns what it did (JSON). */
  readonly activity: string;
  readonly params: Record<string, ParamSpec>;
}

const req = (type: ParamType, description: string): ParamSpec => ({ type, required: true, description });
const opt = (type: ParamType, description: string): ParamSpec => ({ type, required: false, description });
const REGION = opt('string', 'AWS region; default: the configured one.');

export const PLAYBOOK_ACTIONS = {
  'process.restart': {
    pool: 'cloud',
    activity: 'restartSupervisedProcess',
    description:
      'Restart a supervised local process (activities/cloud/remediation: restartSupervisedProcess).',
    params: {
      name: req(
        'string',
        'Supervised process: REMEDIATION_RUN_DIR/<name>.pid, started by REMEDIATION_COMMANDS.',
      ),
      signal: opt('string', 'Stop signal (default SIGTERM).'),
      startCommand: opt('string', 'REMEDIATION_COMMANDS entry that starts it again (default: name).'),
      graceMs: opt('integer', 'Milliseconds the process gets to exit before SIGKILL.'),
    },
  },
  'postgres.terminate-idle-connections': {
    pool: 'cloud',
    activity: 'terminateIdlePostgresConnections',
    description: 'Terminate idle PostgreSQL sessions beyond a threshold, oldest first.',
    params: {
      maxToTerminate: req('integer', 'Most sessions terminated in one run.'),
      keepAtLeast: opt('integer', 'Idle sessions left alone, the most recently used (default 0).'),
      idleFor: opt('duration', 'Only sessions idle longer than this (default 5m).'),
      database: opt('string', 'Database whose sessions are considered.'),
    },
  },
  'logs.rotate': {
    pool: 'cloud',
    activity: 'rotateLogs',
    description:
      'Free disk space by rotating and compressing the logs of a directory in REMEDIATION_LOG_DIRS.',
    params: {
      directory: req('string', 'Absolute directory holding the logs.'),
      maxBytes: req('integer', 'Files larger than this are rotated.'),
      pattern: opt('string', 'File-name glob (default *.log).'),
      keep: opt('integer', 'Rotated generations kept per file (default 5).'),
      compress: opt('boolean', 'gzip older generations (default true).'),
    },
  },
  'workers.scale': {
    pool: 'cloud',
    activity: 'scaleWorkerPool',
    description: 'Grow or shrink a local worker pool.',
    params: {
      pool: req('string', 'Worker pool name.'),
      by: req('integer', 'Replicas to add (negative: remove).'),
    },
  },
  'stack.rollback': {
    pool: 'orchestration',
    activity: 'rollbackStack',
    description: 'Roll back the last deployment of a stack.',
    params: { stack: req('string', 'Stack id.'), environment: opt('string', 'Environment of the stack.') },
  },
  'aws.ec2.reboot': {
    pool: 'cloud',
    activity: 'rebootEc2Instance',
    description: 'Reboot an EC2 instance.',
    params: { instanceId: req('string', 'EC2 instance id.'), region: REGION },
  },
  'aws.asg.set-desired-capacity': {
    pool: 'cloud',
    activity: 'setAsgDesiredCapacity',
    description: "Set an Auto Scaling group's desired capacity.",
    params: {
      group: req('string', 'Auto Scaling group name.'),
      desired: req('integer', 'Desired capacity.'),
      region: REGION,
    },
  },
  'aws.rds.reboot': {
    pool: 'cloud',
    activity: 'rebootRdsInstance',
    description: 'Reboot an RDS instance, failing over to its standby when asked (Multi-AZ).',
    params: {
      instanceId: req('string', 'RDS instance identifier.'),
      failover: opt('boolean', 'Force a failover to the standby.'),
      region: REGION,
    },
  },
  'aws.rds.snapshot': {
    pool: 'cloud',
    activity: 'snapshotRdsInstance',
    description: 'Take a manual snapshot of an RDS instance (a pre-check before touching it).',
    params: { instanceId: req('string', 'RDS instance identifier.'), region: REGION },
  },
} as const satisfies Record<string, ActionSpec>;

export type PlaybookAction = keyof typeof PLAYBOOK_ACTIONS;
export const ACTION_NAMES = Object.keys(PLAYBOOK_ACTIONS) as PlaybookAction[];

export const isPlaybookAction = (name: string): name is PlaybookAction =>
  Object.prototype.hasOwnProperty.call(PLAYBOOK_ACTIONS, name);

export function actionParams(action: PlaybookAction): Readonly<Record<string, ParamSpec>> {
  return PLAYBOOK_ACTIONS[action].params;
}

export function actionBinding(action: PlaybookAction): { pool: ActionPool; activity: string } {
  const { pool, activity } = PLAYBOOK_ACTIONS[action];
  return { pool, activity };
}

/** Same grammar as lib/config.ts durations (`30s`, `15m`, `1h`). */
export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';
