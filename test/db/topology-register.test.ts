import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ActivityDeps } from '../../activities/deps.js';
import { createTopologyActivities } from '../../activities/store/topology.js';
import { createLogger } from '../../lib/logger.js';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import { testServices } from '../harness/services.js';
import { testClient } from '../harness/temporal.js';
import { freshDatabase } from './fresh-database.js';

const services = await testServices();
const { db } = await freshDatabase(services);
const topology = createPostgresTopologyStore(db);
const deps: ActivityDeps = {
  db,
  temporal: await testClient(services),
  logger: createLogger('test'),
  env: {},
};
const activities = createTopologyActivities(deps);

describe('topology registration', () => {
  it("makes the stack's graph exactly the snapshot's, in a few statements whatever its size", async () => {
    const nodes = Array.from({ length: 200 }, (_, i) => ({
      address: `terraform_data.n${i}`,
      type: 'terraform_data',
    }));
    const edges = nodes.slice(1).map((n, i) => ({ from: n.address, to: nodes[i]!.address }));
    const counted = await activities.registerTopology({
      deploymentId: 'd-big-1',
      stack: 'big',
      environment: 'dev',
      nodes,
      // An edge to a resource the state does not hold is left out.
      edges: [...edges, { from: 'terraform_data.n0', to: 'terraform_data.gone' }],
    });
    assert.deepEqual(counted, { nodes: 200, edges: 199 });
    const stored = await topology.stack('big', 'dev');
    assert.equal(stored.nodes.length, 200);
    assert.equal(stored.edges.length, 199);

    await activities.registerTopology({
      deploymentId: 'd-big-2',
      stack: 'big',
      environment: 'dev',
      nodes: nodes.slice(0, 2),
      edges: edges.slice(0, 1),
    });
    const shrunk = await topology.stack('big', 'dev');
    assert.deepEqual(
      shrunk.nodes.map((n) => [n.address, n.deploymentId]),
      [
        ['terraform_data.n0', 'd-big-2'],
        ['terraform_data.n1', 'd-big-2'],
      ],
    );
    assert.deepEqual(shrunk.edges, [{ from: 'terraform_data.n1', to: 'terraform_data.n0' }]);
  });

  it('stores a repeated address once, as the last of its entries says', async () => {
    const counted = await activities.registerTopology({
      deploymentId: 'd-twice',
      stack: 'twice',
      environment: 'dev',
      nodes: [
        { address: 'aws_instance.web', type: 'aws_instance', providerId: 'i-old' },
        { address: 'aws_instance.web', type: 'aws_instance', providerId: 'i-new' },
      ],
      edges: [],
    });
    assert.deepEqual(counted, { nodes: 1, edges: 0 });
    const stored = await topology.stack('twice', 'dev');
    assert.deepEqual(
      stored.nodes.map((n) => n.providerId),
      ['i-new'],
    );
  });
});
