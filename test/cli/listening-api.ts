import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { buildApp } from '../../api/app.js';
import { loadOrCreateDevKey } from '../../lib/auth/dev-key.js';
import { onCleanup } from '../harness/cleanup.js';

/**
 * A real API listening on a free port that trusts the dev key of a scratch DHARMA_HOME; `env` is what a
 * `dharma` child process needs to call it (the CLI mints its own token with that key, as on embedded defaults).
 */
export async function listeningApi(opts: {
  temporal: Client;
  db: pg.Pool;
  taskQueuePrefix: string;
}): Promise<{ env: Record<string, string> }> {
  const home = await mkdtemp(path.join(tmpdir(), 'dharma-cli-'));
  onCleanup(() => rm(home, { recursive: true, force: true }));
  const key = await loadOrCreateDevKey(home);
  const app = await buildApp({
    temporal: opts.temporal,
    db: opts.db,
    auth: { issuer: 'dharma', audience: 'dharma-api', publicKeys: [key.publicJwk] },
    logger: false,
    env: {},
    taskQueuePrefix: opts.taskQueuePrefix,
    uiBaseUrl: 'http://ui.test',
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  onCleanup(() => app.close());
  const address = app.server.address();
  assert.ok(typeof address === 'object' && address);
  return { env: { API_URL: `http://127.0.0.1:${address.port}`, DHARMA_HOME: home } };
}
