import type pg from 'pg';
import { connectedEdges, type StackTopology, type TopologyDependent, type TopologyStore } from './store.js';

/** The topology in PostgreSQL (tables topology_nodes and topology_edges, migration 0050). */
export function createPostgresTopologyStore(db: pg.Pool): TopologyStore {
  return {
    async register(snapshot) {
      const { stack, environment, deploymentId } = snapshot;
      const client = await db.connect();
      try {
        await client.query('BEGIN');
        // Serialises writers of one stack, so two registrations cannot interleave their deletes and inserts.
        await client.query(`SELECT pg_advisory_xact_lock(hashtext('dharma-topology:' || $1 || ':' || $2))`, [
          stack,
          environment,
        ]);
        await client.query(
          'DELETE FROM topology_nodes WHERE stack = $1 AND environment = $2 AND NOT (address = ANY($3))',
          [stack, environment, snapshot.nodes.map((n) => n.address)],
        );
        for (const node of snapshot.nodes) {
          await client.query(
            `INSERT INTO topology_nodes (stack, environment, address, type, provider_id, deployment_id)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (stack, environment, address) DO UPDATE SET type = EXCLUDED.type,
               provider_id = EXCLUDED.provider_id, deployment_id = EXCLUDED.deployment_id`,
            [stack, environment, node.address, node.type, node.providerId ?? null, deploymentId],
          );
        }
        await client.query('DELETE FROM topology_edges WHERE stack = $1 AND environment = $2', [
          stack,
          environment,
        ]);
        for (const edge of connectedEdges(snapshot)) {
          await client.query(
            `INSERT INTO topology_edges (stack, environment, from_address, to_address) VALUES ($1, $2, $3, $4)`,
            [stack, environment, edge.from, edge.to],
          );
        }
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },

    async unregister(deploymentId) {
      // Edges go with their nodes (ON DELETE CASCADE).
      const result = await db.query('DELETE FROM topology_nodes WHERE deployment_id = $1', [deploymentId]);
      return result.rowCount ?? 0;
    },

    async dependents(target) {
      const { rows } = await db.query<TopologyDependent>(
        `WITH RECURSIVE touched AS (
           SELECT stack, environment, address, (address = $1 OR provider_id = $1) AS named
             FROM topology_nodes
            WHERE address = $1 OR provider_id = $1 OR stack || ':' || environment = $1
         ), reach AS (
           SELECT stack, environment, address FROM touched
           UNION
           SELECT e.stack, e.environment, e.from_address FROM topology_edges e
             JOIN reach r ON e.stack = r.stack AND e.environment = r.environment AND e.to_address = r.address
         )
         SELECT stack, environment, address FROM reach
          EXCEPT SELECT stack, environment, address FROM touched WHERE named
          ORDER BY stack, environment, address`,
        [target],
      );
      return rows;
    },

    async stack(stack, environment): Promise<StackTopology> {
      const nodes = await db.query<{
        address: string;
        type: string;
        provider_id: string | null;
        deployment_id: string;
      }>(
        `SELECT address, type, provider_id, deployment_id FROM topology_nodes
          WHERE stack = $1 AND environment = $2 ORDER BY address`,
        [stack, environment],
      );
      const edges = await db.query<{ from_address: string; to_address: string }>(
        `SELECT from_address, to_address FROM topology_edges
          WHERE stack = $1 AND environment = $2 ORDER BY from_address, to_address`,
        [stack, environment],
      );
      return {
        stack,
        environment,
        nodes: nodes.rows.map((r) => ({
          address: r.address,
          type: r.type,
          ...(r.provider_id !== null ? { providerId: r.provider_id } : {}),
          deploymentId: r.deployment_id,
        })),
        edges: edges.rows.map((r) => ({ from: r.from_address, to: r.to_address })),
      };
    },
  };
}
