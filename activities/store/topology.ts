import type { ActivityDeps } from '../deps.js';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import type { TopologySnapshot } from '../../lib/topology/store.js';

/** Topology (CMDB) writes of the provision saga, on the orchestration pool. */
export function createTopologyActivities(deps: ActivityDeps) {
  const store = createPostgresTopologyStore(deps.db);
  return {
    /** Replaces the stack's graph with the deployment's resources and edges; idempotent. */
    async registerTopology(snapshot: TopologySnapshot): Promise<{ nodes: number; edges: number }> {
      await store.register(snapshot);
      const stored = await store.stack(snapshot.stack, snapshot.environment);
      return { nodes: stored.nodes.length, edges: stored.edges.length };
    },

    /** The compensation of registerTopology: removes what the deployment registered; idempotent. */
    async unregisterTopology(deploymentId: string): Promise<number> {
      return store.unregister(deploymentId);
    },
  };
}
