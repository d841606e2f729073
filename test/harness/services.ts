import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../lib/embedded/postgres.js';
import { startTemporalDevServer } from '../../lib/embedded/temporal-dev-server.js';
import { freePort } from '../../lib/net.js';
import { findTemporalCli } from '../../lib/tools.js';
import { onCleanup } from './cleanup.js';

export interface TestServices {
  temporalAddress: string;
  namespace: string;
  databaseUrl: string;
}

export const TEST_NAMESPACE = 'dharma';
const ENV_TEMPORAL = 'DHARMA_TEST_TEMPORAL_ADDRESS';
const ENV_DATABASE = 'DHARMA_TEST_DATABASE_URL';

export interface StartedServices extends TestServices {
  stop(): Promise<void>;
}

/**
 * Starts a real Temporal dev server and a real PostgreSQL on free ports, in a scratch directory.
 * A missing tool is an error naming the setup step: tests never skip silently.
 */
export async function startServices(): Promise<StartedServices> {
  const cli = findTemporalCli();
  if (!cli) throw new Error('Temporal CLI not found: run `npm run setup` first (or set TEMPORAL_CLI).');
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-test-'));
  const [temporalPort, uiPort, pgPort] = [await freePort(), await freePort(), await freePort()];
  const [temporal, pg] = await Promise.all([
    startTemporalDevServer({
      cli,
      dbFile: path.join(dir, 'temporal.sqlite'),
      port: temporalPort,
      uiPort,
      namespace: TEST_NAMESPACE,
    }),
    startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: pgPort }),
  ]);
  return {
    temporalAddress: temporal.address,
    namespace: TEST_NAMESPACE,
    databaseUrl: pg.url,
    async stop() {
      await Promise.allSettled([temporal.stop(), pg.stop()]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let shared: Promise<TestServices> | undefined;

/**
 * The services for this test file: the ones `npm test` started for the whole run (passed through the
 * environment), or, when a file runs on its own, services started for this file and stopped after it.
 */
export function testServices(): Promise<TestServices> {
  if (shared) return shared;
  const temporalAddress = process.env[ENV_TEMPORAL];
  const databaseUrl = process.env[ENV_DATABASE];
  if (temporalAddress && databaseUrl) {
    shared = Promise.resolve({ temporalAddress, databaseUrl, namespace: TEST_NAMESPACE });
  } else {
    shared = startServices().then((started) => {
      onCleanup(() => started.stop());
      return started;
    });
  }
  return shared;
}

export function servicesEnv(services: TestServices): Record<string, string> {
  return { [ENV_TEMPORAL]: services.temporalAddress, [ENV_DATABASE]: services.databaseUrl };
}
