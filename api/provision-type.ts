import { Type } from 'typebox';
import { durationSetting, setting, type Env } from '../lib/config.js';
import type { Principal } from '../lib/auth/verify.js';
import { SemVer } from '../lib/blueprints/schema.js';
import { accessRequestFromHttp } from '../lib/trust/claims.js';
import {
  deploymentWorkflowId,
  PROVISION_WORKFLOW_TYPE,
  type AccessContext,
  type ProvisionInput,
  type ProvisionSettings,
} from '../workflows/provision/contract.js';
import type { WorkflowTypeSpec } from './workflow-types.js';

const NAME = Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$' });

export const ProvisionRequest = Type.Object(
  {
    blueprintId: NAME,
    version: Type.Optional(SemVer),
    environment: NAME,
    stack: Type.Optional(NAME),
    autoApply: Type.Optional(
      Type.Boolean({ description: 'Go ahead without approval where no gate asks for one.' }),
    ),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'Non-secret variable values.' }),
    ),
  },
  {
    additionalProperties: false,
    description: 'requester is the token subject; it cannot be set by the client.',
  },
);

export interface ProvisionRequestBody {
  blueprintId: string;
  version?: string;
  environment: string;
  stack?: string;
  autoApply?: boolean;
  variables?: Record<string, unknown>;
}

/** The saga's settings from the environment; parsed at start-up so a bad value names its variable at once. */
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

/** The requester's zero-trust context from their token, for the saga's re-check before apply. */
export function accessContextOf(principal: Principal): AccessContext {
  const {
    resource: _r,
    action: _a,
    ...context
  } = accessRequestFromHttp({
    claims: principal.claims,
    resource: '',
    action: '',
  });
  return context;
}

export function provisionInput(
  body: ProvisionRequestBody,
  principal: Principal,
  settings: ProvisionSettings,
): ProvisionInput {
  return { ...body, requester: principal.subject, requesterAccess: accessContextOf(principal), settings };
}

/** `provision` as a workflow type of POST /v1/runs (POST /v1/deployments is the dedicated route). */
export function provisionType(env: Env): WorkflowTypeSpec {
  const settings = provisionSettings(env);
  return {
    type: PROVISION_WORKFLOW_TYPE,
    description:
      'Deploys a blueprint version to an environment: plan, guardrails, cost, risk, approval, apply.',
    inputSchema: ProvisionRequest,
    permission: 'runs:create',
    pool: 'orchestration',
    hasApproval: true,
    workflowId: (input, unique) =>
      deploymentWorkflowId(String(input.blueprintId), String(input.environment), unique.slice(0, 12)),
    environment: (input) => String(input.environment),
    searchAttributes: (input, principal) => ({
      DharmaRequester: principal.subject,
      DharmaEnvironment: String(input.environment),
      DharmaTarget: String(input.stack ?? input.blueprintId),
      DharmaState: 'queued',
    }),
    prepareInput: (input, principal) =>
      provisionInput(input as unknown as ProvisionRequestBody, principal, settings),
  };
}
