import { Type } from 'typebox';
import type { Env } from '../lib/config.js';
import type { Principal } from '../lib/auth/verify.js';
import { SemVer } from '../lib/blueprints/schema.js';
import { provisionSettings } from '../lib/deployments/settings.js';
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
