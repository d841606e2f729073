import type { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { RDSClient } from '@aws-sdk/client-rds';
import { setting, type Env } from '../../../lib/config.js';

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
type AutoScalingSdk = typeof import('@aws-sdk/client-auto-scaling');
type RdsSdk = typeof import('@aws-sdk/client-rds');

/** A service's SDK module (its command classes) and the worker's client for one region. */
export interface Service<Sdk, Client> {
  sdk: Sdk;
  client: Client;
}

export type Ec2Service = Service<Ec2Sdk, EC2Client>;
export type AutoScalingService = Service<AutoScalingSdk, AutoScalingClient>;
export type RdsService = Service<RdsSdk, RDSClient>;

/** The worker's AWS clients, one per service and region, built on first use and then reused. */
export interface AwsClients {
  /** AWS_REGION: the region of a step that names none. */
  readonly defaultRegion: string;
  ec2(region: string): Promise<Ec2Service>;
  autoScaling(region: string): Promise<AutoScalingService>;
  rds(region: string): Promise<RdsService>;
}

interface ClientConfig {
  region: string;
  endpoint?: string;
}

/**
 * Credentials are left to the SDK's default provider chain, so the same code runs with environment keys,
 * a profile, SSO or an instance role. The SDK modules are loaded on first use: together they cost every
 * worker process with a cloud pool ~85 MB and ~0.4 s at start, which a worker that never runs an AWS
 * action should not pay.
 */
export function createAwsClients(env: Env): AwsClients {
  const endpoint = setting('AWS_ENDPOINT_URL', env);
  const lazy = <Sdk, Client>(load: () => Promise<Sdk>, build: (sdk: Sdk, config: ClientConfig) => Client) => {
    let loaded: Promise<Sdk> | undefined;
    const built = new Map<string, Client>();
    return async (region: string): Promise<Service<Sdk, Client>> => {
      const sdk = await (loaded ??= load());
      let client = built.get(region);
      if (!client) {
        client = build(sdk, { region, ...(endpoint ? { endpoint } : {}) });
        built.set(region, client);
      }
      return { sdk, client };
    };
  };
  return {
    defaultRegion: setting('AWS_REGION', env),
    ec2: lazy(
      () => import('@aws-sdk/client-ec2'),
      (sdk, config) => new sdk.EC2Client(config),
    ),
    autoScaling: lazy(
      () => import('@aws-sdk/client-auto-scaling'),
      (sdk, config) => new sdk.AutoScalingClient(config),
    ),
    rds: lazy(
      () => import('@aws-sdk/client-rds'),
      (sdk, config) => new sdk.RDSClient(config),
    ),
  };
}
