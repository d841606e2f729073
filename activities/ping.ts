import { hostname } from 'node:os';
import type { PoolName } from '../lib/pools.js';
import { dharmaVersion } from '../lib/package-root.js';

/** What a pool answers to `ping`: which build runs where. */
export interface PingResult {
  pool: PoolName;
  /** Dharma version and Node version, e.g. `0.1.0 (node v20.19.0)`. */
  version: string;
  host: string;
  pid: number;
  at: string;
}

/** The `ping` activity of one pool; every pool's factory includes it so `doctor` can reach each queue. */
export function pingActivity(pool: PoolName): () => Promise<PingResult> {
  const version = `${dharmaVersion()} (node ${process.version})`;
  return function ping() {
    return Promise.resolve({
      pool,
      version,
      host: hostname(),
      pid: process.pid,
      at: new Date().toISOString(),
    });
  };
}
