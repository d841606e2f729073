import { Context } from '@temporalio/activity';
import { fields, invalidInput } from '../remediation/input.js';
import { type AwsTarget, callAws, readIdentifier, readRegion } from './call.js';
import type { AwsClients } from './clients.js';

export interface SetAsgDesiredCapacityInput {
  group: string;
  desired: number;
  region?: string;
}

export interface SetAsgDesiredCapacityResult {
  group: string;
  region: string;
  /** A rollback step restores the group by setting `desired` back to this. */
  previousDesired: number;
  desired: number;
  minSize: number;
  maxSize: number;
  /** False when the group already had the desired capacity before this activity. */
  changed: boolean;
}

const ACTIVITY = 'setAsgDesiredCapacity';
// Auto Scaling group names: 1-255 characters, no colon (a colon would make it an ARN).
const GROUP_NAME = /^[^:]{1,255}$/;

export function createAutoScalingActions(clients: AwsClients) {
  return {
    async setAsgDesiredCapacity(input: SetAsgDesiredCapacityInput): Promise<SetAsgDesiredCapacityResult> {
      const f = fields(ACTIVITY, input);
      const group = readIdentifier(ACTIVITY, f, 'group', GROUP_NAME, 'an Auto Scaling group name');
      const desired = f.int('desired', 0);
      const region = readRegion(ACTIVITY, f, clients.defaultRegion);
      const target: AwsTarget = {
        activity: ACTIVITY,
        region,
        field: 'group',
        value: group,
        kind: 'an existing Auto Scaling group',
      };
      const { sdk, client: autoScaling } = await clients.autoScaling(region);
      const describe = async () => {
        const out = await callAws(target, 'DescribeAutoScalingGroups', (abortSignal) =>
          autoScaling.send(new sdk.DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [group] }), {
            abortSignal,
          }),
        );
        // An unknown name is not an error for Describe: the group list is just empty.
        const found = out.AutoScalingGroups?.[0];
        if (!found) return invalidInput(ACTIVITY, 'group', `${target.kind} in ${region}`, group);
        return {
          desired: found.DesiredCapacity ?? 0,
          minSize: found.MinSize ?? 0,
          maxSize: found.MaxSize ?? 0,
        };
      };

      const before = await describe();
      // AWS refuses a value outside MinSize..MaxSize too; checking first names the param and the bounds.
      if (desired < before.minSize || desired > before.maxSize) {
        invalidInput(
          ACTIVITY,
          'desired',
          `an integer from ${before.minSize} to ${before.maxSize} (MinSize..MaxSize of ${group})`,
          desired,
        );
      }
      // A retry after the change was made must still report the capacity from before this activity, or a
      // rollback would restore the new value: the first attempt records it in its heartbeat details.
      const recorded = Context.current().info.heartbeatDetails as { previousDesired?: unknown } | undefined;
      const previousDesired =
        typeof recorded?.previousDesired === 'number' ? recorded.previousDesired : before.desired;
      Context.current().heartbeat({ previousDesired });
      if (desired !== before.desired) {
        await callAws(target, 'SetDesiredCapacity', (abortSignal) =>
          autoScaling.send(
            new sdk.SetDesiredCapacityCommand({ AutoScalingGroupName: group, DesiredCapacity: desired }),
            { abortSignal },
          ),
        );
      }
      const after = await describe();
      return {
        group,
        region,
        previousDesired,
        desired: after.desired,
        minSize: after.minSize,
        maxSize: after.maxSize,
        changed: after.desired !== previousDesired,
      };
    },
  };
}
