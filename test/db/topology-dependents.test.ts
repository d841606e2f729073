import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import type { TopologyEdge, TopologyNode } from '../../lib/topology/store.js';
import { testServices } from '../harness/services.js';
import { freshDatabase } from './fresh-database.js';

const { db } = await freshDatabase(await testServices());
const topology = createPostgresTopologyStore(db);

const node = (address: string, providerId?: string): TopologyNode => ({
  address,
  type: address.split('.')[0]!,
  ...(providerId ? { providerId } : {}),
});
const edge = (from: string, to: string): TopologyEdge => ({ from, to });
const names = async (target: string) =>
  (await topology.dependents(target)).map((d) => `${d.stack}:${d.environment}/${d.address}`);

describe('topology dependents (blast radius)', () => {
  it('reaches every direct and transitive dependent once, found by provider id or address', async () => {
    // front -> api -> db, front -> web -> db (a diamond), batch -> db, web -> cache.
    await topology.register({
      deploymentId: 'd-shop',
      stack: 'shop',
      environment: 'prod',
      nodes: [
        node('aws_db_instance.db', 'db-1'),
        node('aws_instance.api'),
        node('aws_instance.web'),
        node('aws_lb.front'),
        node('aws_batch_job.batch'),
        node('aws_elasticache_cluster.cache'),
      ],
      edges: [
        edge('aws_instance.api', 'aws_db_instance.db'),
        edge('aws_instance.web', 'aws_db_instance.db'),
        edge('aws_lb.front', 'aws_instance.api'),
        edge('aws_lb.front', 'aws_instance.web'),
        edge('aws_batch_job.batch', 'aws_db_instance.db'),
        edge('aws_instance.web', 'aws_elasticache_cluster.cache'),
      ],
    });
    const everything = [
      'shop:prod/aws_batch_job.batch',
      'shop:prod/aws_instance.api',
      'shop:prod/aws_instance.web',
      'shop:prod/aws_lb.front',
    ];
    assert.deepEqual(await names('db-1'), everything);
    assert.deepEqual(await names('aws_db_instance.db'), everything);
    assert.deepEqual(await names('aws_elasticache_cluster.cache'), [
      'shop:prod/aws_instance.web',
      'shop:prod/aws_lb.front',
    ]);
    assert.deepEqual(await names('aws_lb.front'), []);
    // A whole stack is touched at once: every one of its resources is in the blast radius.
    assert.deepEqual(await names('shop:prod'), [
      'shop:prod/aws_batch_job.batch',
      'shop:prod/aws_db_instance.db',
      'shop:prod/aws_elasticache_cluster.cache',
      'shop:prod/aws_instance.api',
      'shop:prod/aws_instance.web',
      'shop:prod/aws_lb.front',
    ]);
    assert.deepEqual(await names('nothing-by-this-name'), []);
  });

  it('stops on a dependency cycle without listing the target itself', async () => {
    await topology.register({
      deploymentId: 'd-ring',
      stack: 'ring',
      environment: 'dev',
      nodes: [node('terraform_data.a', 'ring-a'), node('terraform_data.b'), node('terraform_data.c')],
      edges: [
        edge('terraform_data.a', 'terraform_data.b'),
        edge('terraform_data.b', 'terraform_data.c'),
        edge('terraform_data.c', 'terraform_data.a'),
      ],
    });
    assert.deepEqual(await names('ring-a'), ['ring:dev/terraform_data.b', 'ring:dev/terraform_data.c']);
  });

  it("follows the edges of the target's own stack and environment only", async () => {
    await topology.register({
      deploymentId: 'd-q-dev',
      stack: 'queue',
      environment: 'dev',
      nodes: [node('aws_sqs_queue.jobs'), node('aws_lambda_function.consumer')],
      edges: [edge('aws_lambda_function.consumer', 'aws_sqs_queue.jobs')],
    });
    await topology.register({
      deploymentId: 'd-q-prod',
      stack: 'queue',
      environment: 'prod',
      nodes: [node('aws_sqs_queue.jobs', 'jobs-prod'), node('aws_lambda_function.consumer')],
      edges: [],
    });
    // The prod queue has no consumer edge: the dev consumer is not its dependent.
    assert.deepEqual(await names('jobs-prod'), []);
    // An address names the resource in every stack and environment that has it.
    assert.deepEqual(await names('aws_sqs_queue.jobs'), ['queue:dev/aws_lambda_function.consumer']);
  });

  it('shrinks when the stack is registered again with fewer edges, and empties when it is removed', async () => {
    const nodes = [node('aws_s3_bucket.assets', 'assets'), node('aws_cloudfront_distribution.cdn')];
    const base = { deploymentId: 'd-web', stack: 'web', environment: 'dev', nodes };
    await topology.register({
      ...base,
      edges: [edge('aws_cloudfront_distribution.cdn', 'aws_s3_bucket.assets')],
    });
    assert.deepEqual(await names('assets'), ['web:dev/aws_cloudfront_distribution.cdn']);
    await topology.register({ ...base, deploymentId: 'd-web-2', edges: [] });
    assert.deepEqual(await names('assets'), []);
    await topology.register({
      ...base,
      edges: [edge('aws_cloudfront_distribution.cdn', 'aws_s3_bucket.assets')],
    });
    assert.equal(await topology.unregister('d-web'), 2);
    assert.deepEqual(await names('assets'), []);
  });
});
