import type { ActivityDeps } from '../../deps.js';
import { createAutoScalingActions } from './auto-scaling.js';
import { createAwsClients } from './clients.js';
import { createEc2Actions } from './ec2.js';
import { createRdsActions } from './rds.js';

export { AWS_UNAVAILABLE } from './call.js';
export { RDS_SNAPSHOT_FAILED } from './rds.js';
export type { RebootEc2InstanceInput, RebootEc2InstanceResult } from './ec2.js';
export type { SetAsgDesiredCapacityInput, SetAsgDesiredCapacityResult } from './auto-scaling.js';
export type {
  RebootRdsInstanceInput,
  RebootRdsInstanceResult,
  SnapshotRdsInstanceInput,
  SnapshotRdsInstanceResult,
} from './rds.js';

/**
 * AWS remediation actions of the cloud pool (the aws.* playbook actions). One set of clients per worker,
 * pointed at AWS_ENDPOINT_URL when set (moto in tests) and at the real AWS endpoints otherwise.
 */
export function createAwsActions(deps: Pick<ActivityDeps, 'env'>) {
  const clients = createAwsClients(deps.env);
  return {
    ...createEc2Actions(clients),
    ...createAutoScalingActions(clients),
    ...createRdsActions(clients),
  };
}
