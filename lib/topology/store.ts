/**
 * The topology (CMDB) of deployed resources: what exists in which stack and environment, which deployment
 * put it there, and what depends on what. The saga writes it through this interface; PostgreSQL is the
 * first implementation (postgres.ts), a graph database adapter can take its place later.
 */
export interface TopologyNode {
  /** Resource address in the Terraform state, e.g. `dharma_postgresql_database.db`. */
  address: string;
  type: string;
  /** The provider's id of the resource, when the state has one. */
  providerId?: string;
}

export interface TopologyEdge {
  /** The dependent resource's address. */
  from: string;
  /** The address it depends on. */
  to: string;
}

export interface TopologySnapshot {
  deploymentId: string;
  stack: string;
  environment: string;
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

export interface StackTopology {
  stack: string;
  environment: string;
  nodes: Array<TopologyNode & { deploymentId: string }>;
  edges: TopologyEdge[];
}

export interface TopologyStore {
  /**
   * Makes the stack's graph equal to the snapshot: nodes it no longer has go, the rest now belong to the
   * snapshot's deployment. Idempotent: registering the same snapshot twice changes nothing.
   */
  register(snapshot: TopologySnapshot): Promise<void>;
  /** Removes what the deployment registered (its nodes and their edges); idempotent. Returns how many nodes went. */
  unregister(deploymentId: string): Promise<number>;
  stack(stack: string, environment: string): Promise<StackTopology>;
  /**
   * Everything that depends, directly or through others, on the resources named `target` (their address
   * or provider id): the blast radius of touching it. A `stack:environment` target touches every resource
   * of that stack, so all of them count (a rollback of the stack replaces or changes any of them).
   */
  dependents(target: string): Promise<TopologyDependent[]>;
}

export interface TopologyDependent {
  stack: string;
  environment: string;
  address: string;
}

/** Edges whose two ends are both nodes of the snapshot (a dependsOn on a resource not in the state is left out). */
export function connectedEdges(snapshot: Pick<TopologySnapshot, 'nodes' | 'edges'>): TopologyEdge[] {
  const addresses = new Set(snapshot.nodes.map((n) => n.address));
  const seen = new Set<string>();
  return snapshot.edges.filter((edge) => {
    const key = `${edge.from}\u0000${edge.to}`;
    if (!addresses.has(edge.from) || !addresses.has(edge.to) || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The snapshot's nodes, one per address (a repeated address: the last one wins, as with one upsert each). */
export function distinctNodes(snapshot: Pick<TopologySnapshot, 'nodes'>): TopologyNode[] {
  return [...new Map(snapshot.nodes.map((n) => [n.address, n])).values()];
}
