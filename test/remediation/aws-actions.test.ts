import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { StopInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { MockActivityEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { ActivityDeps } from '../../activities/deps.js';
import {
  createAwsActions,
  type RebootEc2InstanceResult,
  type RebootRdsInstanceResult,
  type SetAsgDesiredCapacityResult,
  type SnapshotRdsInstanceResult,
} from '../../activities/cloud/aws/index.js';
import type { PlaybookAction } from '../../lib/playbooks/actions.js';
import { createLogger } from '../../lib/logger.js';
import { freePort } from '../../lib/net.js';
import { activitiesForPool } from '../../workers/activities-for-pool.js';
import { freshDatabase } from '../db/fresh-database.js';
import { onCleanup } from '../harness/cleanup.js';
import { MOTO_REGION, startMoto } from '../harness/moto.js';
import { testServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { awsResources } from './fixtures/aws-resources.js';
import { runPlaybookAction } from './fixtures/playbook-action-workflow.js';
import { applicationFailureOf, nonRetryableFailureOf } from '../harness/failures.js';

const moto = await startMoto();
const services = await testServices();
const client = await testClient(services);
const fresh = await freshDatabase(services, { migrated: false });
const deps: ActivityDeps = { db: fresh.db, temporal: client, logger: createLogger('test'), env: moto.env };

// The cloud pool's real activity set, so this also proves the aws.* actions are registered there.
const taskQueue = `${uniquePrefix('aws')}-cloud`;
await startTestWorker(services, {
  taskQueue,
  workflows: false,
  workflowBundle: await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/playbook-action-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  }),
  activities: activitiesForPool('cloud', deps),
});

interface Results {
  'aws.ec2.reboot': RebootEc2InstanceResult;
  'aws.asg.set-desired-capacity': SetAsgDesiredCapacityResult;
  'aws.rds.reboot': RebootRdsInstanceResult;
  'aws.rds.snapshot': SnapshotRdsInstanceResult;
}

const run = <A extends keyof Results & PlaybookAction>(action: A, params: Record<string, unknown>) =>
  client.workflow.execute(runPlaybookAction, {
    taskQueue,
    workflowId: `aws-${randomUUID()}`,
    args: [action, params],
  }) as Promise<Results[A]>;

const { ec2, rds, runInstance, describeInstance, createGroup, describeGroup, createDatabase } =
  awsResources(moto);

async function nonRetryable(promise: Promise<unknown>, type: string, message: RegExp): Promise<void> {
  assert.match((await nonRetryableFailureOf(promise, type)).message, message);
}

/** Requests moto received for one action whose parameter `key` was `value`. */
const sent = async (action: string, key: string, value: string) =>
  (await moto.requests(action)).filter((params) => params.get(key) === value);

describe('AWS remediation actions on a cloud-pool worker, against moto', () => {
  it('aws.ec2.reboot reboots a running instance once, in place', async () => {
    const instanceId = await runInstance();
    const launched = await describeInstance(instanceId);
    const result = await run('aws.ec2.reboot', { instanceId });
    assert.equal(result.instanceId, instanceId);
    assert.equal(result.region, MOTO_REGION);
    assert.deepEqual(result.before, { state: 'running', launchTime: launched.LaunchTime!.toISOString() });
    assert.deepEqual(result.after, result.before);
    assert.equal((await sent('RebootInstances', 'InstanceId.1', instanceId)).length, 1);
    // A reboot, not a stop/start: same instance, still running, same launch.
    const now = await describeInstance(instanceId);
    assert.equal(now.State?.Name, 'running');
    assert.equal(now.LaunchTime?.getTime(), launched.LaunchTime?.getTime());
  });

  it('aws.ec2.reboot refuses a stopped instance without rebooting it', async () => {
    const instanceId = await runInstance();
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await nonRetryable(
      run('aws.ec2.reboot', { instanceId }),
      'RemediationRefused',
      new RegExp(`instance ${instanceId} in us-east-1 is stopped; only a running instance is rebooted`),
    );
    assert.deepEqual(await sent('RebootInstances', 'InstanceId.1', instanceId), []);
    assert.equal((await describeInstance(instanceId)).State?.Name, 'stopped');
  });

  it('aws.asg.set-desired-capacity changes the capacity and returns what a rollback restores', async () => {
    const group = await createGroup();
    const result = await run('aws.asg.set-desired-capacity', { group, desired: 3 });
    assert.deepEqual(result, {
      group,
      region: MOTO_REGION,
      previousDesired: 1,
      desired: 3,
      minSize: 1,
      maxSize: 4,
      changed: true,
    });
    const scaled = await describeGroup(group);
    assert.equal(scaled.DesiredCapacity, 3);
    assert.equal(scaled.Instances?.length, 3, 'moto launched the new instances');

    const rollback = await run('aws.asg.set-desired-capacity', { group, desired: result.previousDesired });
    assert.equal(rollback.desired, 1);
    assert.equal((await describeGroup(group)).DesiredCapacity, 1);
  });

  it('aws.rds.reboot fails a Multi-AZ instance over to its standby', async () => {
    const instanceId = await createDatabase(true);
    const result = await run('aws.rds.reboot', { instanceId, failover: true });
    assert.equal(result.failover, true);
    assert.equal(result.before.multiAz, true);
    assert.equal(result.before.status, 'available');
    const reboots = await sent('RebootDBInstance', 'DBInstanceIdentifier', instanceId);
    assert.deepEqual(
      reboots.map((params) => params.get('ForceFailover')),
      ['true'],
    );
  });

  it('aws.rds.reboot refuses a failover of a Single-AZ instance, naming the param', async () => {
    const instanceId = await createDatabase(false);
    await nonRetryable(
      run('aws.rds.reboot', { instanceId, failover: true }),
      'InvalidRemediationInput',
      new RegExp(`rebootRdsInstance: failover: expected false: ${instanceId} is Single-AZ`),
    );
    assert.deepEqual(await sent('RebootDBInstance', 'DBInstanceIdentifier', instanceId), []);
  });

  it('aws.rds.snapshot takes an available manual snapshot', async () => {
    const instanceId = await createDatabase(true);
    const result = await run('aws.rds.snapshot', { instanceId });
    assert.equal(result.created, true);
    assert.equal(result.status, 'available');
    assert.match(result.snapshotId, new RegExp(`^${instanceId}-dharma-[0-9a-f]{16}$`));
    const out = await rds.send(new DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: result.snapshotId }));
    assert.equal(out.DBSnapshots?.[0]?.SnapshotType, 'manual');
    assert.equal(out.DBSnapshots?.[0]?.DBInstanceIdentifier, instanceId);
  });

  it('fails without retrying on a missing resource or bad input, naming the param', async () => {
    await nonRetryable(
      run('aws.ec2.reboot', { instanceId: 'i-0123456789abcdef0' }),
      'InvalidRemediationInput',
      /rebootEc2Instance: instanceId: expected an existing EC2 instance in us-east-1 \(InvalidInstanceID\.NotFound: .*\), got "i-0123456789abcdef0"/,
    );
    await nonRetryable(
      run('aws.rds.snapshot', { instanceId: 'no-such-db' }),
      'InvalidRemediationInput',
      /snapshotRdsInstance: instanceId: expected an existing RDS instance in us-east-1 \(DBInstanceNotFoundFault: .*\), got "no-such-db"/,
    );
    await nonRetryable(
      run('aws.asg.set-desired-capacity', { group: 'no-such-group', desired: 2 }),
      'InvalidRemediationInput',
      /setAsgDesiredCapacity: group: expected an existing Auto Scaling group in us-east-1, got "no-such-group"/,
    );
    const group = await createGroup();
    await nonRetryable(
      run('aws.asg.set-desired-capacity', { group, desired: 9 }),
      'InvalidRemediationInput',
      new RegExp(`desired: expected an integer from 1 to 4 \\(MinSize..MaxSize of ${group}\\), got number 9`),
    );
    assert.equal((await describeGroup(group)).DesiredCapacity, 1);
    await nonRetryable(
      run('aws.ec2.reboot', { instanceId: 'web-1' }),
      'InvalidRemediationInput',
      /rebootEc2Instance: instanceId: expected an EC2 instance id \(i-\.\.\.\), got "web-1"/,
    );
    await nonRetryable(
      run('aws.rds.reboot', { instanceId: 'orders--db' }),
      'InvalidRemediationInput',
      /rebootRdsInstance: instanceId: expected an RDS instance identifier/,
    );
    await nonRetryable(
      run('aws.rds.reboot', { instanceId: 'orders', region: 'mars' }),
      'InvalidRemediationInput',
      /rebootRdsInstance: region: expected an AWS region such as us-east-1, got "mars"/,
    );
  });
});

/** Temporal's activity context with the given info (attempt, ids, heartbeat details); failures expected here stay out of the report. */
const activityEnv = (info: ConstructorParameters<typeof MockActivityEnvironment>[0] = {}) =>
  new MockActivityEnvironment(info, { logger: new DefaultLogger('ERROR') });
const inActivity = <R>(env: MockActivityEnvironment, call: () => Promise<R>) =>
  env.run<[], R, () => Promise<R>>(call);

describe('AWS remediation actions run by the activity environment', () => {
  const actions = createAwsActions({ env: moto.env });

  it('aws.rds.snapshot retried by Temporal finds its snapshot instead of taking a second one', async () => {
    const instanceId = await createDatabase(true);
    const execution = { workflowId: `incident-${randomUUID()}`, runId: randomUUID() };
    const attempt = (n: number, runId = execution.runId) =>
      inActivity(
        activityEnv({
          workflowExecution: { ...execution, runId },
          activityId: '4',
          attempt: n,
        }),
        () => actions.snapshotRdsInstance({ instanceId }),
      );

    const first = await attempt(1);
    const retry = await attempt(2);
    assert.equal(first.created, true);
    assert.equal(retry.created, false);
    assert.equal(retry.snapshotId, first.snapshotId);
    assert.equal((await sent('CreateDBSnapshot', 'DBInstanceIdentifier', instanceId)).length, 1);
    const listed = async () =>
      (
        await rds.send(
          new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instanceId, SnapshotType: 'manual' }),
        )
      ).DBSnapshots ?? [];
    assert.deepEqual(
      (await listed()).map((s) => s.DBSnapshotIdentifier),
      [first.snapshotId],
    );

    // A later run of the same incident workflow (same id, same activity id) takes its own snapshot.
    const laterRun = await attempt(1, randomUUID());
    assert.notEqual(laterRun.snapshotId, first.snapshotId);
    assert.equal((await listed()).length, 2);
  });

  it('aws.asg.set-desired-capacity retried after its change still reports the capacity from before', async () => {
    const group = await createGroup();
    const firstAttempt = activityEnv({ attempt: 1 });
    const heartbeats: unknown[] = [];
    firstAttempt.on('heartbeat', (details: unknown) => heartbeats.push(details));
    await inActivity(firstAttempt, () => actions.setAsgDesiredCapacity({ group, desired: 2 }));

    const retry = await inActivity(activityEnv({ attempt: 2, heartbeatDetails: heartbeats.at(-1) }), () =>
      actions.setAsgDesiredCapacity({ group, desired: 2 }),
    );
    assert.equal(retry.previousDesired, 1);
    assert.equal(retry.changed, true);
    assert.equal((await sent('SetDesiredCapacity', 'AutoScalingGroupName', group)).length, 1);
  });

  it('denied credentials fail without retrying, naming the param', async () => {
    const locked = await startMoto({ requireAuth: true });
    const { rebootEc2Instance } = createAwsActions({ env: locked.env });
    await nonRetryable(
      activityEnv().run(rebootEc2Instance, { instanceId: 'i-0123456789abcdef0' }),
      'RemediationRefused',
      /rebootEc2Instance: AWS denied DescribeInstances on instanceId "i-0123456789abcdef0" in us-east-1: /,
    );
  });

  it('an unreachable or failing AWS endpoint is retryable', async () => {
    const unavailable = http.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((resolve) => unavailable.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise((resolve) => unavailable.close(resolve)));
    const { port } = unavailable.address() as { port: number };
    const endpoints = [`http://127.0.0.1:${port}`, `http://127.0.0.1:${await freePort()}`];
    for (const endpoint of endpoints) {
      const { rebootRdsInstance } = createAwsActions({ env: { AWS_ENDPOINT_URL: endpoint } });
      const error = await applicationFailureOf(
        activityEnv().run(rebootRdsInstance, { instanceId: 'orders' }),
      );
      assert.equal(error.type, 'AwsUnavailable', error.message);
      assert.equal(error.nonRetryable, false);
      assert.match(
        error.message,
        /rebootRdsInstance: DescribeDBInstances "orders" in us-east-1 failed, will retry: /,
      );
    }
  });
});
