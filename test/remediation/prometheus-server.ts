import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild } from '../../lib/embedded/temporal-dev-server.js';
import { ToolMissing } from '../../lib/errors.js';
import { freePort } from '../../lib/net.js';
import { isExecutable } from '../../lib/tools.js';
import { prometheusBinary } from '../../scripts/go-tools.js';
import { onCleanup } from '../harness/cleanup.js';

export interface PrometheusOptions {
  /** host:port targets scraped at /metrics. */
  targets: string[];
  /** How often they are scraped (default 200ms, so a test gets a series within seconds). */
  scrapeInterval?: string;
}

/**
 * A real Prometheus (the one `npm run setup` builds) scraping `targets`, with its TSDB in a scratch
 * directory; stopped and removed after the test file. Resolves with its base URL once it is ready.
 */
export async function startPrometheus({
  targets,
  scrapeInterval = '200ms',
}: PrometheusOptions): Promise<string> {
  const binary = prometheusBinary();
  if (!isExecutable(binary)) throw new ToolMissing('Prometheus', 'run `npm run setup`');
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-prometheus-'));
  const config = path.join(dir, 'prometheus.yml');
  await writeFile(
    config,
    JSON.stringify({
      global: { scrape_interval: scrapeInterval, scrape_timeout: scrapeInterval },
      scrape_configs: [{ job_name: 'test', static_configs: [{ targets }] }],
    }),
  );
  const port = await freePort();
  const child = spawn(
    binary,
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000)));
  onCleanup(async () => {
    await stopChild(child);
    await rm(dir, { recursive: true, force: true });
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}: ${output}`);
    const ready = await fetch(`${url}/-/ready`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return url;
    await sleep(100);
  }
  throw new Error(`prometheus did not become ready on ${url}: ${output}`);
}
