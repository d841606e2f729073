import { Type, type TSchema } from 'typebox';
import { durationSetting, setting, type Env } from '../lib/config.js';
import type { Permission } from '../lib/auth/roles.js';
import type { Principal } from '../lib/auth/verify.js';
import { POOLS, type PoolName } from '../lib/pools.js';
import type { DharmaSearchAttribute } from '../lib/search-attributes.js';
import {
  CHANGE_REQUEST_WORKFLOW_TYPE,
  type ChangeRequestInput,
} from '../workflows/change-request/contract.js';
import { DOCTOR_WORKFLOW, type DoctorInput } from '../workflows/doctor/contract.js';
import { REMEDIATION_WORKFLOW_TYPE } from '../workflows/remediation/contract.js';
import { provisionType } from './provision-type.js';

/** A workflow type the API may start by name, with what it takes to start it safely. */
export interface WorkflowTypeSpec {
  /** The workflow function name registered on the orchestration pool. */
  type: string;
  description: string;
  /** Schema of the `input` a client sends (before prepareInput). */
  inputSchema: TSchema;
  permission: Permission;
  pool: PoolName;
  /** The workflow embeds the approval gate and answers approvalStatusQuery. */
  hasApproval: boolean;
  /** A readable workflow id; `unique` makes it distinct per start (random, or derived from the Idempotency-Key). */
  workflowId(input: Record<string, unknown>, unique: string): string;
  /** The environment the run touches; `production` puts the start behind the zero-trust check. */
  environment(input: Record<string, unknown>): string | undefined;
  searchAttributes(
    input: Record<string, unknown>,
    principal: Principal,
  ): Partial<Record<DharmaSearchAttribute, string>>;
  /** The workflow's argument: client input plus what only the server may decide (requester, defaults). */
  prepareInput(input: Record<string, unknown>, principal: Principal): unknown;
}

export type WorkflowTypeRegistry = ReadonlyMap<string, WorkflowTypeSpec>;

/** Workflows that embed the approval gate but are started by Dharma itself, never through POST /v1/runs. */
const GATED_INTERNAL_TYPES: ReadonlySet<string> = new Set([REMEDIATION_WORKFLOW_TYPE]);

/** Whether runs of `type` answer approvalStatusQuery (and so can be approved through /v1/runs). */
export function hasApprovalGate(registry: WorkflowTypeRegistry, type: string): boolean {
  return registry.get(type)?.hasApproval ?? GATED_INTERNAL_TYPES.has(type);
}

const DURATION = Type.String({ pattern: '^\\d+(\\.\\d+)?(ms|s|m|h|d)$', description: 'e.g. 30s, 15m, 24h' });
const NAME = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

const changeRequestInput = Type.Object(
  {
    target: NAME,
    environment: NAME,
    summary: Type.String({ minLength: 1, maxLength: 500 }),
    change: Type.Record(Type.String(), Type.Unknown()),
    approval: Type.Optional(
      Type.Object(
        {
          required: Type.Optional(Type.Boolean()),
          timeout: Type.Optional(DURATION),
          escalateBefore: Type.Optional(DURATION),
        },
        { additionalProperties: false },
      ),
    ),
    lockLease: Type.Optional(DURATION),
    checks: Type.Optional(
      Type.Array(
        Type.Union([
          Type.Object(
            {
              kind: Type.Literal('http'),
              url: Type.String({ pattern: '^https?://' }),
              expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
            },
            { additionalProperties: false },
          ),
          Type.Object(
            {
              kind: Type.Literal('tcp'),
              host: Type.String({ minLength: 1 }),
              port: Type.Integer({ minimum: 1, maximum: 65535 }),
            },
            { additionalProperties: false },
          ),
        ]),
        { maxItems: 20 },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: 'requester is the token subject; it cannot be set by the client.',
  },
);

/** Workflow ids keep the readable parts of the input; anything else becomes `_`. */
const idPart = (value: unknown) =>
  String(value)
    .replace(/[^A-Za-z0-9._-]/g, '_')
    .slice(0, 60);

function changeRequest(env: Env): WorkflowTypeSpec {
  // Parsed once so a bad APPROVAL_TIMEOUT fails at start-up, naming the variable.
  durationSetting('APPROVAL_TIMEOUT', env);
  durationSetting('APPROVAL_ESCALATE_BEFORE', env);
  const timeout = setting('APPROVAL_TIMEOUT', env);
  const escalateBefore = setting('APPROVAL_ESCALATE_BEFORE', env);
  return {
    type: CHANGE_REQUEST_WORKFLOW_TYPE,
    description: 'A change to a target in an environment: lock, approval (required in production), checks.',
    inputSchema: changeRequestInput,
    permission: 'runs:create',
    pool: 'orchestration',
    hasApproval: true,
    workflowId: (input, unique) => `change-${idPart(input.target)}-${idPart(input.environment)}-${unique}`,
    environment: (input) => String(input.environment),
    searchAttributes: (input, principal) => ({
      DharmaRequester: principal.subject,
      DharmaEnvironment: String(input.environment),
      DharmaTarget: String(input.target),
    }),
    prepareInput: (input, principal): ChangeRequestInput => {
      const client = input as Omit<ChangeRequestInput, 'requester'>;
      return {
        ...client,
        requester: principal.subject,
        approval: { timeout, escalateBefore, ...client.approval },
      };
    },
  };
}

const doctorInput = Type.Object(
  {
    pools: Type.Optional(
      Type.Array(Type.Union(POOLS.map((pool) => Type.Literal(pool))), { uniqueItems: true }),
    ),
    timeoutSeconds: Type.Optional(Type.Integer({ minimum: 1, maximum: 300 })),
  },
  { additionalProperties: false },
);

const doctor: WorkflowTypeSpec = {
  type: DOCTOR_WORKFLOW,
  description: 'Runs an activity on every worker pool and reports its version, host and latency.',
  inputSchema: doctorInput,
  permission: 'runs:create',
  pool: 'orchestration',
  hasApproval: false,
  workflowId: (_input, unique) => `doctor-${unique}`,
  environment: () => undefined,
  searchAttributes: (_input, principal) => ({ DharmaRequester: principal.subject }),
  prepareInput: (input): DoctorInput => input,
};

/** Every workflow type the API starts, keyed by name. */
export function createWorkflowTypes(env: Env = process.env): WorkflowTypeRegistry {
  const specs = [doctor, changeRequest(env), provisionType(env)];
  return new Map(specs.map((spec) => [spec.type, spec]));
}
