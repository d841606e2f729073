import { fields, refused } from '../remediation/input.js';
import { type AwsTarget, callAws, readIdentifier, readRegion } from './call.js';
import type { AwsClients } from './clients.js';

export interface RebootEc2InstanceInput {
  instanceId: string;
  region?: string;
}

export interface Ec2InstanceState {
  state: string;
  launchTime?: string;
}

export interface RebootEc2InstanceResult {
  instanceId: string;
  region: string;
  /** Read right before and right after the reboot request (a reboot keeps the instance and its launch time). */
  before: Ec2InstanceState;
  /** Absent when the instance could not be read after the reboot request (the reason says why). */
  after?: Ec2InstanceState;
  afterUnknown?: string;
}

const ACTIVITY = 'rebootEc2Instance';
const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;

export function createEc2Actions(clients: AwsClients) {
  return {
    async rebootEc2Instance(input: RebootEc2InstanceInput): Promise<RebootEc2InstanceResult> {
      const f = fields(ACTIVITY, input);
      const instanceId = readIdentifier(ACTIVITY, f, 'instanceId', INSTANCE_ID, 'an EC2 instance id (i-...)');
      const region = readRegion(ACTIVITY, f, clients.defaultRegion);
      const target: AwsTarget = {
        activity: ACTIVITY,
        region,
        field: 'instanceId',
        value: instanceId,
        kind: 'an existing EC2 instance',
      };
      const { sdk, client: ec2 } = await clients.ec2(region);
      const describe = () =>
        callAws(target, 'DescribeInstances', async (abortSignal) => {
          const out = await ec2.send(new sdk.DescribeInstancesCommand({ InstanceIds: [instanceId] }), {
            abortSignal,
          });
          const instance = out.Reservations?.[0]?.Instances?.[0];
          return {
            state: instance?.State?.Name ?? 'unknown',
            ...(instance?.LaunchTime ? { launchTime: instance.LaunchTime.toISOString() } : {}),
          };
        });

      const before = await describe();
      // Rebooting is for a running but unhealthy instance; a stopped one would need a start, a deliberate act.
      if (before.state !== 'running') {
        refused(
          ACTIVITY,
          `instance ${instanceId} in ${region} is ${before.state}; only a running instance is rebooted`,
        );
      }
      await callAws(target, 'RebootInstances', (abortSignal) =>
        ec2.send(new sdk.RebootInstancesCommand({ InstanceIds: [instanceId] }), { abortSignal }),
      );
      // The reboot was requested: a failure to read the instance afterwards must not fail the activity,
      // whose retry would reboot it again.
      const after = await describe().then(
        (state) => ({ after: state }),
        (error: unknown) => ({ afterUnknown: String(error) }),
      );
      return { instanceId, region, before, ...after };
    },
  };
}
