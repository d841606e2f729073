import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { apiFixture } from '../api/api-fixture.js';
import { onCleanup } from '../harness/cleanup.js';
import { escalation, incidentApi, settled } from './fixtures/incident-api.js';
import { writeTestPlaybooks } from './fixtures/test-playbooks.js';
import { startPrometheus } from './prometheus-server.js';

/**
 * Verification by metrics: a real Prometheus scrapes a service whose log directory fills its disk and whose
 * latency is steady or stuck high. The playbook rotates the logs; a PromQL probe checks the disk and the
 * ONNX anomaly model judges the latency series.
 */
const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-metrics-'));
onCleanup(() => fs.rm(scratch, { recursive: true, force: true }));
const logs = path.join(scratch, 'logs');
await fs.mkdir(logs);

const service = { latency: 0.2 };
const logBytes = () => readdirSync(logs).reduce((sum, file) => sum + statSync(path.join(logs, file)).size, 0);
const target = http.createServer((_req, res) => {
  res.setHeader('content-type', 'text/plain; version=0.0.4');
  const jitter = (Math.random() - 0.5) * 0.02 * service.latency;
  res.end(`app_log_bytes ${logBytes()}\napp_latency_seconds ${service.latency + jitter}\n`);
});
await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
onCleanup(() => new Promise((resolve) => target.close(resolve)));
const prometheusUrl = await startPrometheus({
  targets: [`127.0.0.1:${(target.address() as AddressInfo).port}`],
});

const LOGS_FULL = `
id: logs-full
version: 1
description: Rotate and compress the logs filling a disk; the latency must stay normal meanwhile.
match:
  alertNames: [LogsFull]
risk: low
steps:
  - name: rotate
    action: logs.rotate
    params:
      directory: '{{ labels.directory }}'
      maxBytes: 1024
      keep: 1
verification:
  window: 6s
  probes:
    - kind: prometheus
      query: app_log_bytes
      below: 1500000
    - kind: metric-normal
      query: app_latency_seconds
      threshold: 1
escalation:
  notify: team
`;

const f = await apiFixture({
  workers: true,
  pools: ['cloud', 'ml'],
  workerEnv: {
    PLAYBOOKS_DIR: await writeTestPlaybooks(scratch, { 'logs-full.yaml': LOGS_FULL }),
    PROMETHEUS_URL: prometheusUrl,
    REMEDIATION_LOG_DIRS: logs,
  },
});
const { alert, incident } = await incidentApi(f);
const fp = (name: string) => `${f.prefix}-${name}`;

async function instant(query: string): Promise<number> {
  const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  return Number(body.data.result[0]?.value[1] ?? NaN);
}

async function until(check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, 'condition not reached within 15 s');
    await sleep(100);
  }
}

/** About 1.9 MB of logs: today's and yesterday's; rotating compresses yesterday's to a few kB. */
async function fillDisk(): Promise<void> {
  const day = 'request served in 12 ms\n'.repeat(40_000);
  await fs.writeFile(path.join(logs, 'app.log'), day);
  await fs.writeFile(path.join(logs, 'app.log.1'), day);
}

describe('verification by Prometheus queries and the metric-anomaly model', () => {
  it('resolves once the disk query is under its bound and the latency series is normal', async () => {
    await fillDisk();
    assert.equal(
      await alert(fp('full'), { alertname: 'LogsFull', directory: logs, environment: 'dev' }),
      202,
    );
    const healed = await incident(fp('full'), settled);
    assert.equal(healed.status, 'resolved', JSON.stringify(escalation(healed)));
    const passed = healed.timeline.filter((e) => e.kind === 'verification').at(-1)!;
    const results = passed.detail.results as { kind: string; passed: boolean; detail: string }[];
    assert.deepEqual(
      results.map((r) => [r.kind, r.passed]),
      [
        ['prometheus', true],
        ['metric-normal', true],
      ],
    );
    assert.match(results[1]!.detail, /app_latency_seconds: normal/);
    assert.ok(logBytes() < 1_500_000, 'the logs were rotated and compressed');
  });

  it('escalates when the latency stays above its threshold although the disk was freed', async () => {
    service.latency = 5;
    // The service has been slow for a while (a second of scrapes at least) when the alert comes in.
    await until(async () => (await instant('min_over_time(app_latency_seconds[1s])')) > 1);
    await fillDisk();
    assert.equal(
      await alert(fp('slow'), { alertname: 'LogsFull', directory: logs, environment: 'dev' }),
      202,
    );
    const failed = await incident(fp('slow'), settled);
    assert.equal(failed.status, 'escalated');
    assert.equal(escalation(failed)?.stage, 'verification');
    assert.match(
      String(escalation(failed)?.reason),
      /metric-normal: app_latency_seconds: still above its threshold 1/,
    );
    assert.ok(logBytes() < 1_500_000, 'the step itself worked');
  });
});
