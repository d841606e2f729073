import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { buildApp, type ApiApp, type BuildAppOptions } from '../../api/app.js';
import type { AuthConfig } from '../../lib/auth/config.js';
import { loadOrCreateDevKey, mintToken, type DevKey, type MintTokenOptions } from '../../lib/auth/dev-key.js';
import type { Role } from '../../lib/auth/roles.js';
import { createLogger } from '../../lib/logger.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices, type TestServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { activitiesForPool } from '../../workers/activities-for-pool.js';
import type { PoolName } from '../../lib/pools.js';
import { onCleanup } from '../harness/cleanup.js';

export const ISSUER = 'dharma';
export const AUDIENCE = 'dharma-api';

export interface ApiFixture {
  services: TestServices;
  client: Client;
  db: pg.Pool;
  devKey: DevKey;
  auth: AuthConfig;
  prefix: string;
  app: ApiApp;
  /** A dev token for `subject` with `roles`. */
  token(subject: string, roles: Role[], extra?: Partial<MintTokenOptions>): Promise<string>;
  build(overrides?: Partial<BuildAppOptions>): Promise<ApiApp>;
}

/**
 * A real API over the test Temporal server and a fresh database, trusting a dev key made in a scratch
 * home. `workers: true` also runs the orchestration pool (workflows + control activities) on the
 * fixture's queue prefix, with `workerEnv` as its settings, and `pools` the workers of those pools.
 */
export async function apiFixture(
  options: { workers?: boolean; workerEnv?: Record<string, string>; pools?: PoolName[] } = {},
): Promise<ApiFixture> {
  // Registered first so it runs first: the worker stops before the client and database it uses close.
  let stopWorker: (() => Promise<void>) | undefined;
  onCleanup(() => stopWorker?.());
  const services = await testServices();
  const client = await testClient(services);
  const { db } = await freshDatabase(services);
  const home = await mkdtemp(path.join(tmpdir(), 'dharma-api-'));
  onCleanup(() => rm(home, { recursive: true, force: true }));
  const devKey = await loadOrCreateDevKey(home);
  const auth: AuthConfig = { issuer: ISSUER, audience: AUDIENCE, publicKeys: [devKey.publicJwk] };
  const prefix = uniquePrefix('api');
  if (options.workers) {
    const logger = createLogger('api-test');
    logger.level = 'warn';
    const deps = { db, temporal: client, logger, env: options.workerEnv ?? {} };
    const workers = [
      await startTestWorker(services, {
        taskQueue: `${prefix}-orchestration`,
        activities: activitiesForPool('orchestration', deps),
      }),
    ];
    for (const pool of options.pools ?? []) {
      workers.push(
        await startTestWorker(services, {
          taskQueue: `${prefix}-${pool}`,
          workflows: false,
          activities: activitiesForPool(pool, deps),
        }),
      );
    }
    stopWorker = async () => {
      await Promise.all(workers.map((w) => w.stop()));
    };
  }
  const build = async (overrides: Partial<BuildAppOptions> = {}) => {
    const app = await buildApp({
      temporal: client,
      db,
      auth,
      logger: false,
      env: {},
      taskQueuePrefix: prefix,
      uiBaseUrl: 'http://ui.test',
      ...overrides,
    });
    onCleanup(() => app.close());
    return app;
  };
  const app = await build();
  return {
    services,
    client,
    db,
    devKey,
    auth,
    prefix,
    app,
    build,
    token: (subject, roles, extra = {}) =>
      mintToken({
        subject,
        roles,
        ttlSeconds: 600,
        key: devKey,
        issuer: ISSUER,
        audience: AUDIENCE,
        ...extra,
      }),
  };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Polls until `accept` holds (visibility and workflow state are eventually consistent). */
export async function until<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`not reached in time; last value ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
