import { createHash } from 'node:crypto';
import type { DBInstance, DBSnapshot } from '@aws-sdk/client-rds';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { fields, invalidInput, refused } from '../remediation/input.js';
import { AWS_UNAVAILABLE, type AwsTarget, callAws, readIdentifier, readRegion } from './call.js';
import type { AwsClients, RdsService } from './clients.js';

export interface RebootRdsInstanceInput {
  instanceId: string;
  /** Force a failover to the Multi-AZ standby (ForceFailover). */
  failover?: boolean;
  region?: string;
}

export interface RdsInstanceState {
  status: string;
  multiAz: boolean;
  availabilityZone?: string;
  secondaryAvailabilityZone?: string;
}

export interface RebootRdsInstanceResult {
  instanceId: string;
  region: string;
  failover: boolean;
  before: RdsInstanceState;
  /** As RDS answered the reboot request (status `rebooting` on AWS). */
  after: RdsInstanceState;
}

export interface SnapshotRdsInstanceInput {
  instanceId: string;
  region?: string;
}

export interface SnapshotRdsInstanceResult {
  instanceId: string;
  region: string;
  snapshotId: string;
  snapshotArn?: string;
  status: 'available';
  /** False when an earlier attempt of this activity had already requested the snapshot. */
  created: boolean;
}

const REBOOT = 'rebootRdsInstance';
const SNAPSHOT = 'snapshotRdsInstance';
// RDS identifiers: a letter, then letters, digits and single hyphens, at most 63, no trailing hyphen.
const DB_IDENTIFIER = /^(?!.*--)[a-zA-Z][a-zA-Z0-9-]{0,62}(?<!-)$/;
const DB_IDENTIFIER_EXPECTED = 'an RDS instance identifier (a letter, then letters, digits, single hyphens)';
const SNAPSHOT_POLL_MS = 10_000;
/** RDS reports the snapshot failed: retrying under the same identifier would find the same failed one. */
export const RDS_SNAPSHOT_FAILED = 'RdsSnapshotFailed';

/** Reads the instance param, the region and the client every RDS action starts with. */
async function rdsTarget(activity: string, input: unknown, clients: AwsClients) {
  const f = fields(activity, input);
  const instanceId = readIdentifier(activity, f, 'instanceId', DB_IDENTIFIER, DB_IDENTIFIER_EXPECTED);
  const region = readRegion(activity, f, clients.defaultRegion);
  const target: AwsTarget = {
    activity,
    region,
    field: 'instanceId',
    value: instanceId,
    kind: 'an existing RDS instance',
  };
  return { f, instanceId, region, target, service: await clients.rds(region) };
}

function instanceState(instance: DBInstance | undefined): RdsInstanceState {
  return {
    status: instance?.DBInstanceStatus ?? 'unknown',
    multiAz: instance?.MultiAZ ?? false,
    ...(instance?.AvailabilityZone ? { availabilityZone: instance.AvailabilityZone } : {}),
    ...(instance?.SecondaryAvailabilityZone
      ? { secondaryAvailabilityZone: instance.SecondaryAvailabilityZone }
      : {}),
  };
}

/**
 * The snapshot identifier of one activity execution: every retry of it names the same snapshot, so a retry
 * finds the snapshot an earlier attempt requested instead of taking a second one. The run id keeps a later
 * incident workflow with the same id (and the same activity ids) from mistaking an old snapshot for its own.
 */
export function snapshotIdentifier(instanceId: string): string {
  const { workflowExecution, activityRunId, activityId } = Context.current().info;
  // A standalone activity (no workflow) is identified by its own run id instead.
  const execution = workflowExecution
    ? `${workflowExecution.workflowId}/${workflowExecution.runId}`
    : `standalone/${activityRunId ?? ''}`;
  const key = `${execution}/${activityId}`;
  return `${instanceId}-dharma-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

async function findSnapshot(
  { sdk, client: rds }: RdsService,
  target: AwsTarget,
  snapshotId: string,
): Promise<DBSnapshot | undefined> {
  return callAws(target, 'DescribeDBSnapshots', async (abortSignal) => {
    try {
      const out = await rds.send(new sdk.DescribeDBSnapshotsCommand({ DBSnapshotIdentifier: snapshotId }), {
        abortSignal,
      });
      return out.DBSnapshots?.[0];
    } catch (error) {
      if ((error as { name?: string }).name === 'DBSnapshotNotFoundFault') return undefined;
      throw error;
    }
  });
}

export function createRdsActions(clients: AwsClients) {
  return {
    async rebootRdsInstance(input: RebootRdsInstanceInput): Promise<RebootRdsInstanceResult> {
      const { f, instanceId, region, target, service } = await rdsTarget(REBOOT, input, clients);
      const { sdk, client: rds } = service;
      const failover = f.bool('failover', false);
      const described = await callAws(target, 'DescribeDBInstances', (abortSignal) =>
        rds.send(new sdk.DescribeDBInstancesCommand({ DBInstanceIdentifier: instanceId }), { abortSignal }),
      );
      const before = instanceState(described.DBInstances?.[0]);
      if (failover && !before.multiAz) {
        invalidInput(REBOOT, 'failover', `false: ${instanceId} is Single-AZ, it has no standby`, failover);
      }
      const rebooted = await callAws(target, 'RebootDBInstance', (abortSignal) =>
        rds.send(
          new sdk.RebootDBInstanceCommand({ DBInstanceIdentifier: instanceId, ForceFailover: failover }),
          {
            abortSignal,
          },
        ),
      );
      return { instanceId, region, failover, before, after: instanceState(rebooted.DBInstance) };
    },

    async snapshotRdsInstance(input: SnapshotRdsInstanceInput): Promise<SnapshotRdsInstanceResult> {
      const { instanceId, region, target, service } = await rdsTarget(SNAPSHOT, input, clients);
      const { sdk, client: rds } = service;
      const snapshotId = snapshotIdentifier(instanceId);
      let snapshot = await findSnapshot(service, target, snapshotId);
      const created = snapshot === undefined;
      if (!snapshot) {
        const out = await callAws(target, 'CreateDBSnapshot', (abortSignal) =>
          rds.send(
            new sdk.CreateDBSnapshotCommand({
              DBInstanceIdentifier: instanceId,
              DBSnapshotIdentifier: snapshotId,
            }),
            { abortSignal },
          ),
        );
        snapshot = out.DBSnapshot;
      } else if (snapshot.DBInstanceIdentifier !== instanceId) {
        refused(SNAPSHOT, `snapshot ${snapshotId} exists but belongs to ${snapshot.DBInstanceIdentifier}`);
      }
      // Snapshots of real instances take minutes: poll, heartbeating so a lost worker is noticed and a
      // cancellation interrupts the wait.
      const { heartbeatTimeoutMs } = Context.current().info;
      const pollMs = Math.min(SNAPSHOT_POLL_MS, heartbeatTimeoutMs ? heartbeatTimeoutMs / 2 : Infinity);
      for (;;) {
        if (!snapshot) {
          throw ApplicationFailure.retryable(
            `${SNAPSHOT}: snapshot ${snapshotId} of ${instanceId} in ${region} disappeared while being taken`,
            AWS_UNAVAILABLE,
          );
        }
        if (snapshot.Status === 'available') break;
        if (snapshot.Status === 'failed') {
          throw ApplicationFailure.nonRetryable(
            `${SNAPSHOT}: snapshot ${snapshotId} of ${instanceId} in ${region} failed`,
            RDS_SNAPSHOT_FAILED,
          );
        }
        Context.current().heartbeat({ snapshotId, status: snapshot.Status });
        await Context.current().sleep(pollMs);
        snapshot = await findSnapshot(service, target, snapshotId);
      }
      return {
        instanceId,
        region,
        snapshotId,
        ...(snapshot.DBSnapshotArn ? { snapshotArn: snapshot.DBSnapshotArn } : {}),
        status: 'available',
        created,
      };
    },
  };
}
