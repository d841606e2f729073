import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import { activityOrigin, uuidV5 } from '../origin.js';
import { BlueprintNotFound } from '../../lib/blueprints/errors.js';
import { getBlueprint } from '../../lib/blueprints/repository.js';
import type { HealthCheck } from '../../lib/blueprints/schema.js';
import { insertEvent } from '../../lib/db/outbox.js';
import {
  latestCompletedDeployment,
  recordDeployment,
  type DeploymentRecord,
  type DeploymentUpdate,
} from '../../lib/deployments/repository.js';
import { cleanupWorkspace } from '../terraform/cleanup.js';
import type { CleanupInput, CleanupOutcome } from '../terraform/contract.js';
import { blueprintEdges } from '../../lib/topology/edges.js';
import type { TopologyEdge } from '../../lib/topology/store.js';

/** What the saga needs of a blueprint version: small (the resources themselves stay in PostgreSQL). */
export interface DeploymentBlueprint {
  blueprintId: string;
  version: string;
  hash: string;
  provider: string;
  region: string;
  outputs: Array<{ name: string; sensitive: boolean }>;
  healthChecks: HealthCheck[];
  drift?: { interval: string; reconcile: boolean };
  /** Dependency edges between the blueprint's resources, by address. */
  edges: TopologyEdge[];
}

/** A domain event of the deployment (its aggregate), e.g. DeploymentStarted. */
export interface DeploymentEvent {
  eventType: string;
  data: Record<string, unknown>;
}

/** What the saga learnt at one step: the row's new values and the events of that moment, in order. */
export interface DeploymentProgress {
  deployment: DeploymentUpdate;
  events?: DeploymentEvent[];
}

export interface PreviousDeployment {
  id: string;
  /**
   * The blueprint it deployed: a stack may have been deployed from another blueprint than this run's.
   * Absent in results recorded before it was returned.
   */
  blueprintId?: string;
  version: string;
  /** The variable values it was deployed with: planning its version again needs the same ones. */
  variables?: Record<string, unknown>;
  completedAt?: string;
}

/** The deployments table and blueprint reads of the provision saga (orchestration pool). */
export function createDeploymentActivities(deps: ActivityDeps) {
  return {
    /** The blueprint version to deploy; a missing blueprint or version is a non-retryable BlueprintNotFound. */
    async loadDeploymentBlueprint(input: {
      blueprintId: string;
      version?: string;
    }): Promise<DeploymentBlueprint> {
      try {
        // A deleted blueprint is not deployed again, but its versions stay readable for rollbacks.
        const { blueprint, hash } = await getBlueprint(deps.db, input.blueprintId, {
          ...(input.version !== undefined ? { version: input.version } : {}),
        });
        return {
          blueprintId: blueprint.id,
          version: blueprint.version,
          hash,
          provider: blueprint.provider,
          region: blueprint.region,
          outputs: Object.entries(blueprint.outputs).map(([name, o]) => ({
            name,
            sensitive: o.sensitive === true,
          })),
          healthChecks: blueprint.healthChecks ?? [],
          ...(blueprint.drift ? { drift: blueprint.drift } : {}),
          edges: blueprintEdges(blueprint),
        };
      } catch (error) {
        if (error instanceof BlueprintNotFound) {
          throw ApplicationFailure.nonRetryable(error.message, 'BlueprintNotFound');
        }
        throw error;
      }
    },

    /** The latest completed deployment of the stack (not this one): what an update falls back to. */
    async previousDeployment(input: {
      stack: string;
      environment: string;
      excludeId: string;
    }): Promise<PreviousDeployment | null> {
      const found: DeploymentRecord | undefined = await latestCompletedDeployment(
        deps.db,
        input.stack,
        input.environment,
        { excludeId: input.excludeId },
      );
      return found
        ? {
            id: found.id,
            blueprintId: found.blueprintId,
            version: found.version,
            ...(found.variables ? { variables: found.variables } : {}),
            ...(found.completedAt ? { completedAt: found.completedAt } : {}),
          }
        : null;
    },

    /**
     * The terraform pool's cleanupWorkspace, run here so the saga can finish with a local activity:
     * it only writes PostgreSQL.
     */
    cleanupDeploymentWorkspace: (input: CleanupInput): Promise<CleanupOutcome> =>
      cleanupWorkspace(deps, input),

    /** Mirrors the saga's state into the deployments table (an upsert: retries write the same row). */
    async recordDeployment(update: DeploymentUpdate): Promise<void> {
      await recordDeployment(deps.db, update);
    },

    /**
     * The row and the events of one step in one call (the saga runs it as a local activity: no round
     * trip through the server). Event ids derive from the activity's key and their place in the list,
     * so a retry adds nothing; their timestamps are the scheduling time a millisecond apart, so events
     * written together keep their order in the outbox.
     */
    async recordProgress(progress: DeploymentProgress): Promise<void> {
      const origin = activityOrigin();
      const at = origin.scheduledAt.getTime();
      await Promise.all([
        recordDeployment(deps.db, progress.deployment),
        ...(progress.events ?? []).map((event, index) =>
          insertEvent(deps.db, {
            eventId: uuidV5(`${origin.key}/${index}`),
            eventType: event.eventType,
            timestamp: new Date(at + index).toISOString(),
            aggregateId: progress.deployment.id,
            aggregateType: 'Deployment',
            version: 1,
            data: event.data,
            metadata: origin.workflowId !== undefined ? { correlationId: origin.workflowId } : {},
          }),
        ),
      ]);
    },
  };
}
