import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { toolsDir } from '../../lib/config.js';
import { stopChild } from '../../lib/embedded/temporal-dev-server.js';
import { freePort } from '../../lib/net.js';
import { isExecutable } from '../../lib/tools.js';
import { onCleanup } from './cleanup.js';

export interface Moto {
  endpoint: string;
  /** Settings that point a worker's AWS clients at this server. */
  env: { AWS_ENDPOINT_URL: string; AWS_REGION: string };
  /** Form parameters of every request moto received for this API action (e.g. RebootInstances), in order. */
  requests(action: string): Promise<URLSearchParams[]>;
}

export const MOTO_REGION = 'us-east-1';
const STARTUP_TIMEOUT_MS = 30_000;

interface RecordedRequest {
  body?: string;
  body_encoded?: boolean;
}

/**
 * Starts a real moto server (the AWS API stand-in `npm run setup` installs from PyPI) on a free port for
 * this test file, waits until it answers and stops it after the file. Its request recorder is on, so a
 * test can see which calls reached "AWS", e.g. a reboot that changes no state moto can show.
 */
export async function startMoto(options: { requireAuth?: boolean } = {}): Promise<Moto> {
  const binary = path.join(toolsDir(), 'venv', 'bin', 'moto_server');
  if (!isExecutable(binary))
    throw new Error(`moto_server not found at ${binary}: run \`npm run setup\` first`);
  // The SDK's default credential chain reads the process environment; fixed fake keys keep a developer's
  // own profile or SSO session out of the tests (moto accepts any key).
  process.env.AWS_ACCESS_KEY_ID = 'moto-test';
  process.env.AWS_SECRET_ACCESS_KEY = 'moto-test';
  delete process.env.AWS_SESSION_TOKEN;

  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-moto-'));
  const recording = path.join(dir, 'requests.jsonl');
  const port = await freePort();
  const child = spawn(binary, ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      MOTO_ENABLE_RECORDING: 'true',
      MOTO_RECORDER_FILEPATH: recording,
      // Checks every request against moto's IAM from the first one: unknown keys are then refused.
      ...(options.requireAuth ? { INITIAL_NO_AUTH_ACTION_COUNT: '0' } : {}),
    },
  });
  let output = '';
  const collect = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  onCleanup(async () => {
    await stopChild(child, 5_000);
    await rm(dir, { recursive: true, force: true });
  });

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}: ${output}`);
    const answered = await fetch(`${endpoint}/moto-api/data.json`).then(
      (response) => response.ok,
      () => false,
    );
    if (answered) break;
    if (Date.now() > deadline) throw new Error(`moto_server did not answer on ${endpoint}: ${output}`);
    await sleep(100);
  }

  return {
    endpoint,
    env: { AWS_ENDPOINT_URL: endpoint, AWS_REGION: MOTO_REGION },
    async requests(action) {
      const text = await readFile(recording, 'utf8').catch(() => '');
      return text
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as RecordedRequest)
        .map(({ body = '', body_encoded }) =>
          body_encoded ? Buffer.from(body, 'base64').toString('utf8') : body,
        )
        .map((body) => new URLSearchParams(body))
        .filter((params) => params.get('Action') === action);
    },
  };
}
