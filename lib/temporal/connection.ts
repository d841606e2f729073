import { readFileSync } from 'node:fs';
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import { setting, type Env } from '../config.js';
import { ServiceUnreachable } from '../errors.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** Which variable the address came from, for error messages. */
  source: string;
}

function tlsOptions(env: Env): ConnectionOptions['tls'] {
  const cert = setting('TEMPORAL_TLS_CERT', env);
  const key = setting('TEMPORAL_TLS_KEY', env);
  const ca = setting('TEMPORAL_TLS_CA', env);
  const serverName = setting('TEMPORAL_TLS_SERVER_NAME', env);
  const apiKey = setting('TEMPORAL_API_KEY', env);
  if (!cert && !ca && !apiKey) return undefined;
  return {
    ...(serverName ? { serverNameOverride: serverName } : {}),
    ...(ca ? { serverRootCACertificate: readFileSync(ca) } : {}),
    ...(cert && key ? { clientCertPair: { crt: readFileSync(cert), key: readFileSync(key) } } : {}),
  };
}

function commonOptions(target: TemporalTarget, env: Env) {
  const apiKey = setting('TEMPORAL_API_KEY', env);
  const tls = tlsOptions(env);
  return { address: target.address, ...(tls ? { tls } : {}), ...(apiKey ? { apiKey } : {}) };
}

export async function connectClient(target: TemporalTarget, env: Env = process.env): Promise<Client> {
  try {
    const connection = await Connection.connect({ ...commonOptions(target, env), connectTimeout: '5s' });
    return new Client({ connection, namespace: target.namespace });
  } catch (error) {
    throw new ServiceUnreachable('Temporal', target.source, target.address, error);
  }
}

export async function connectNative(
  target: TemporalTarget,
  env: Env = process.env,
): Promise<NativeConnection> {
  try {
    const options: NativeConnectionOptions = commonOptions(target, env);
    return await NativeConnection.connect(options);
  } catch (error) {
    throw new ServiceUnreachable('Temporal', target.source, target.address, error);
  }
}

/** The external Temporal from TEMPORAL_ADDRESS, or undefined when Dharma should start its own. */
export function configuredTemporal(env: Env = process.env): TemporalTarget | undefined {
  const address = setting('TEMPORAL_ADDRESS', env);
  if (!address) return undefined;
  return { address, namespace: setting('TEMPORAL_NAMESPACE', env), source: 'TEMPORAL_ADDRESS' };
}
