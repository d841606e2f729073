import type { Client } from '@temporalio/client';
import { getBlueprint } from '../blueprints/repository.js';
import type { Queryable } from '../db/pool.js';
import { searchAttributePairs } from '../search-attributes.js';
import { PROVISION_WORKFLOW_TYPE, type ProvisionInput } from '../../workflows/provision/contract.js';
import { insertDeployment } from './repository.js';
import { startOnce } from '../temporal/start-once.js';

/** What starting a provision run needs: the stores, and where the orchestration pool listens. */
export interface DeploymentStarter {
  db: Queryable;
  temporal: Client;
  /** The orchestration task queue (`<prefix>-orchestration`). */
  taskQueue: string;
  /** Runs each Temporal call; the API puts its deadline and error mapping around them. */
  call?: <R>(fn: () => Promise<R>) => Promise<R>;
}

export interface StartedDeployment {
  deploymentId: string;
  runId: string;
  blueprintId: string;
  version: string;
  environment: string;
  stack: string;
}

/**
 * Starts a provision run and records it as queued (deployments and runs rows). The version is resolved
 * now (BlueprintNotFound when the blueprint or version does not exist), so the run and its row name the
 * same one. With `reuse`, starting an id that is already running returns that run: a caller retrying
 * with the same derived id finds the deployment it started instead of starting a second one.
 */
export async function startDeployment(
  starter: DeploymentStarter,
  input: ProvisionInput,
  id: { workflowId: string; reuse: boolean },
): Promise<StartedDeployment> {
  const call = starter.call ?? (<R>(fn: () => Promise<R>) => fn());
  const { blueprint } = await getBlueprint(starter.db, input.blueprintId, {
    ...(input.version ? { version: input.version } : {}),
  });
  const version = blueprint.version;
  const stack = input.stack ?? input.blueprintId;
  const runId = await call(() =>
    startOnce(starter.temporal, id.reuse, id.workflowId, (policies) =>
      starter.temporal.workflow.start(PROVISION_WORKFLOW_TYPE, {
        taskQueue: starter.taskQueue,
        workflowId: id.workflowId,
        args: [{ ...input, version } satisfies ProvisionInput],
        typedSearchAttributes: searchAttributePairs({
          DharmaRequester: input.requester,
          DharmaEnvironment: input.environment,
          DharmaTarget: stack,
          DharmaState: 'queued',
        }),
        ...policies,
      }),
    ),
  );
  // Only inserted: a deployment found again through its id has moved on and writes its own row.
  await insertDeployment(starter.db, {
    id: id.workflowId,
    blueprintId: input.blueprintId,
    version,
    environment: input.environment,
    stack,
    state: 'queued',
    requester: input.requester,
    runId,
    ...(input.variables ? { variables: input.variables } : {}),
  });
  await starter.db.query(
    `INSERT INTO runs (workflow_id, run_id, workflow_type, requester, environment, target, state)
     VALUES ($1, $2, $3, $4, $5, $6, 'queued') ON CONFLICT (workflow_id) DO NOTHING`,
    [id.workflowId, runId, PROVISION_WORKFLOW_TYPE, input.requester, input.environment, stack],
  );
  return {
    deploymentId: id.workflowId,
    runId,
    blueprintId: input.blueprintId,
    version,
    environment: input.environment,
    stack,
  };
}
