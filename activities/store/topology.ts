import { ApplicationFailure } from '@temporalio/activity';
import pg from 'pg';
import type { ActivityDeps } from '../deps.js';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import { connectedEdges, distinctNodes, type TopologySnapshot } from '../../lib/topology/store.js';

/** Failure type of a registration PostgreSQL refuses for its content: never retried. */
export const TOPOLOGY_REJECTED = 'TopologyRejected';

/**
 * SQLSTATE class 23 (integrity constraint violation): the same rows would be refused again, and the
 * saga registers as a local activity with unbounded retries, so retrying would hold the run forever.
 */
function integrityViolation(error: unknown): error is pg.DatabaseError {
  return error instanceof pg.DatabaseError && error.code?.startsWith('23') === true;
}

/** Topology (CMDB) writes of the provision saga, on the orchestration pool. */
export function createTopologyActivities(deps: ActivityDeps) {
  const store = createPostgresTopologyStore(deps.db);
  return {
    /** Replaces the stack's graph with the deployment's resources and edges; idempotent. */
    async registerTopology(snapshot: TopologySnapshot): Promise<{ nodes: number; edges: number }> {
      try {
        await store.register(snapshot);
      } catch (error) {
        if (!integrityViolation(error)) throw error;
        throw ApplicationFailure.nonRetryable(
          `registerTopology: ${snapshot.stack}:${snapshot.environment} refused: ${error.message}`,
          TOPOLOGY_REJECTED,
        );
      }
      // register makes the stack's graph exactly the snapshot's: no need to read it back.
      return { nodes: distinctNodes(snapshot).length, edges: connectedEdges(snapshot).length };
    },

    /** The compensation of registerTopology: removes what the deployment registered; idempotent. */
    async unregisterTopology(deploymentId: string): Promise<number> {
      return store.unregister(deploymentId);
    },
  };
}
