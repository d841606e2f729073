import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from '../deps.js';
import { maxArtifactBytes, putArtifact } from '../../lib/artifacts/store.js';
import { saveWorkspace, stateSchemaOf, workspaceIdFor } from '../../lib/artifacts/workspaces.js';
import { getBlueprint } from '../../lib/blueprints/repository.js';
import { ToolMissing } from '../../lib/errors.js';
import { synthesize } from '../../lib/iac/synthesize.js';
import { TERRAFORM_FAILURES } from '../../lib/tofu/activity-options.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import type { PreparedWorkspace, PrepareWorkspaceInput } from './contract.js';
import { invalidInput, toActivityFailure } from './failures.js';

const REQUIRED = ['deploymentId', 'blueprintId', 'blueprintVersion', 'environment'] as const;

function checkInput(input: PrepareWorkspaceInput | undefined): PrepareWorkspaceInput {
  if (!input || typeof input !== 'object') throw invalidInput('input', 'an object');
  for (const field of REQUIRED) {
    if (typeof input[field] !== 'string' || input[field] === '')
      throw invalidInput(field, 'a non-empty string');
  }
  if (input.stack !== undefined && (typeof input.stack !== 'string' || input.stack === '')) {
    throw invalidInput('stack', 'a non-empty string when given');
  }
  const vars = input.variables;
  if (vars !== undefined && (vars === null || typeof vars !== 'object' || Array.isArray(vars))) {
    throw invalidInput('variables', 'an object of variable values when given');
  }
  return input;
}

/**
 * Loads the blueprint version, synthesizes it for the environment with the pg state backend (schema per
 * stack and environment; the connection reaches tofu only as PG_CONN_STR when it runs) and stores the
 * files as an artifact. Idempotent: the workspace id derives from deployment, stack and environment,
 * the artifact ref from the content, so a retry rewrites the same row with the same values.
 */
export async function prepareWorkspace(
  deps: ActivityDeps,
  raw: PrepareWorkspaceInput,
): Promise<PreparedWorkspace> {
  const input = checkInput(raw);
  const stack = input.stack ?? input.blueprintId;
  try {
    const { blueprint } = await getBlueprint(deps.db, input.blueprintId, {
      version: input.blueprintVersion,
      includeDeleted: true,
    });
    const schemaName = await stateSchemaOf(deps.db, stack, input.environment);
    let synthesis: ReturnType<typeof synthesize>;
    try {
      synthesis = synthesize(blueprint, {
        environment: input.environment,
        stack,
        backend: schemaName ? { schemaName } : {},
        ...(input.variables ? { variables: input.variables } : {}),
      });
    } catch (error) {
      // A provider without a pinned version means the blueprint cannot run here, not a worker problem.
      if (error instanceof ToolMissing) {
        throw ApplicationFailure.nonRetryable(error.message, TERRAFORM_FAILURES.invalidBlueprint);
      }
      throw error;
    }
    const configRef = await putArtifact(
      deps.db,
      { kind: 'config', content: canonicalJson(synthesis.files), mediaType: 'application/json' },
      { maxBytes: maxArtifactBytes(deps.env) },
    );
    const workspace: PreparedWorkspace = {
      workspaceId: workspaceIdFor(input.deploymentId, stack, input.environment),
      configRef,
      configHash: synthesis.hash,
      stack,
      environment: input.environment,
      stateSchema: synthesis.schemaName,
    };
    await saveWorkspace(deps.db, {
      ...workspace,
      deploymentId: input.deploymentId,
      blueprintId: blueprint.id,
      version: blueprint.version,
    });
    return workspace;
  } catch (error) {
    throw toActivityFailure(error);
  }
}
