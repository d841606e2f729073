import type pg from 'pg';
import {
  connectedEdges,
  distinctNodes,
  type StackTopology,
  type TopologyDependent,
  type TopologyStore,
} from './store.js';

/** The topology in PostgreSQL (tables topology_nodes and topology_edges, migration 0050). */
export function createPostgresTopologyStore(db: pg.Pool): TopologyStore {
  return {
    async register(snapshot) {
      const { stack, environment, deploymentId } = snapshot;
      const nodes = distinctNodes(snapshot);
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
          [stack, environment, nodes.map((n) => n.address)],
        );
        // One statement each for the nodes and the edges: a registration costs the same few round trips
        // whatever the size of the stack.
        await client.query(
          `INSERT INTO topology_nodes (stack, environment, address, type, provider_id, deployment_id)
           SELECT $1, $2, n.address, n.type, n.provider_id, $3
             FROM unnest($4::text[], $5::text[], $6::text[]) AS n(address, type, provider_id)
           ON CONFLICT (stack, environment, address) DO UPDATE SET type = EXCLUDED.type,
             provider_id = EXCLUDED.provider_id, deployment_id = EXCLUDED.deployment_id`,
          [
            stack,
            environment,
            deploymentId,
            nodes.map((n) => n.address),
            nodes.map((n) => n.type),
            nodes.map((n) => n.providerId ?? null),
          ],
        );
        await client.query('DELETE FROM topology_edges WHERE stack = $1 AND environment = $2', [
          stack,
          environment,
        ]);
        const edges = connectedEdges(snapshot);
        await client.query(
          `INSERT INTO topology_edges (stack, environment, from_address, to_address)
           SELECT $1, $2, e.from_address, e.to_address FROM unnest($3::text[], $4::text[]) AS e(from_address, to_address)`,
          [stack, environment, edges.map((e) => e.from), edges.map((e) => e.to)],
        );
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
