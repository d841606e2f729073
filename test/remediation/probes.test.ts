import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import pg from 'pg';
import {
  CHECK_FAILED,
  createProbeActivities,
  INVALID_PROBE,
  PROBE_NOT_CONFIGURED,
} from '../../activities/cloud/probes.js';
import { INVALID_REMEDIATION_INPUT } from '../../activities/cloud/remediation/index.js';
import { MIN_SERIES_POINTS } from '../../lib/alerts-ml/series-features.js';
import { freePort } from '../../lib/net.js';
import { freshDatabase } from '../db/fresh-database.js';
import { onCleanup } from '../harness/cleanup.js';
import { testServices } from '../harness/services.js';
import { startPrometheus } from './prometheus-server.js';

const services = await testServices();
const home = await freshDatabase(services, { migrated: false });
const other = await freshDatabase(services, { migrated: false });
const otherName = new URL(other.url).pathname.slice(1);
await other.db.query('CREATE TABLE marker (id int); INSERT INTO marker VALUES (1)');

// What the scraped /metrics endpoint serves: two fixed gauges, and a counter of the scrapes so far.
let scrapes = 0;
const target = http.createServer((_req, res) => {
  scrapes += 1;
  res.setHeader('content-type', 'text/plain; version=0.0.4');
  res.end(
    [
      'dharma_probe_test_value{kind="a"} 3',
      'dharma_probe_test_value{kind="b"} 1',
      `dharma_probe_test_scrapes ${scrapes}`,
      '',
    ].join('\n'),
  );
});
await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
onCleanup(() => new Promise((resolve) => target.close(resolve)));
const prometheusUrl = await startPrometheus({
  targets: [`127.0.0.1:${(target.address() as AddressInfo).port}`],
});

// The SQL probe runs on the worker's own server (its pool's URL): here the `home` test database.
const probes = createProbeActivities({ db: home.db, env: { PROMETHEUS_URL: prometheusUrl } });
const unconfigured = createProbeActivities({ db: home.db, env: {} });

async function failure(promise: Promise<unknown>, type: string, retryable: boolean): Promise<string> {
  const error = await promise.then(
    () => assert.fail('expected the probe to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApplicationFailure, String(error));
  assert.equal(error.type, type, error.message);
  assert.equal(error.nonRetryable, !retryable, error.message);
  return error.message;
}

/** When Prometheus first scraped the target: the series exist from then on. */
async function firstScrape(): Promise<number> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const result = await probes
      .prometheusCheck({ query: 'dharma_probe_test_scrapes', below: Number.MAX_VALUE })
      .catch(() => undefined);
    if (result) return Date.now();
    await sleep(100);
  }
  return assert.fail('Prometheus did not scrape the test target within 15 s');
}
const seriesSince = await firstScrape();

describe('sqlCheck', () => {
  it('passes when the first column of the first row is true, non-zero or t', async () => {
    const result = await probes.sqlCheck({ query: 'SELECT true, false' });
    assert.equal(result.kind, 'sql');
    assert.match(result.target, /\/test_/);
    assert.equal(result.detail, 'returned true');
    assert.equal((await probes.sqlCheck({ query: 'SELECT 2' })).detail, 'returned 2');
    assert.equal((await probes.sqlCheck({ query: "SELECT 't'::text" })).detail, 'returned "t"');
    assert.equal((await probes.sqlCheck({ query: 'SELECT 0.5::numeric' })).detail, 'returned "0.5"');
  });

  it('runs in the database it names', async () => {
    const result = await probes.sqlCheck({ query: 'SELECT count(*) FROM marker', database: otherName });
    assert.equal(result.target.endsWith(`/${otherName}`), true);
    assert.equal(result.detail, 'returned 1');
    const message = await failure(
      probes.sqlCheck({ query: 'SELECT count(*) FROM marker' }),
      CHECK_FAILED,
      true,
    );
    assert.match(message, /relation "marker" does not exist/);
  });

  it('fails retryably saying what it got', async () => {
    const cases: Array<[string, RegExp]> = [
      ['SELECT false', /returned false, expected a true value/],
      ['SELECT 0', /returned 0, expected/],
      ['SELECT count(*) FROM pg_database WHERE false', /returned 0, expected/],
      // numeric arrives as text
      ['SELECT 0.0::numeric', /returned "0.0", expected/],
      ['SELECT NULL', /returned NULL, expected/],
      ["SELECT 'no'", /returned "no", expected/],
      ['SELECT 1 WHERE false', /returned no rows/],
    ];
    for (const [query, expected] of cases) {
      const message = await failure(probes.sqlCheck({ query }), CHECK_FAILED, true);
      assert.match(message, expected);
      assert.ok(message.includes(JSON.stringify(query)), message);
    }
  });

  it('fails retryably when the query outlives its timeout', async () => {
    const message = await failure(
      probes.sqlCheck({ query: 'SELECT pg_sleep(3) IS NOT NULL', timeoutMs: 200 }),
      CHECK_FAILED,
      true,
    );
    assert.match(message, /took longer than 200 ms/);
  });

  it('refuses a syntax error, several statements and writes without retrying, naming the query', async () => {
    let message = await failure(probes.sqlCheck({ query: 'SELEC 1' }), INVALID_PROBE, false);
    assert.match(message, /query "SELEC 1" is not one valid SQL statement: syntax error/);
    message = await failure(probes.sqlCheck({ query: 'SELECT 1; SELECT 2' }), INVALID_PROBE, false);
    assert.match(message, /"SELECT 1; SELECT 2" is not one valid SQL statement/);

    const insert = 'INSERT INTO marker VALUES (2) RETURNING true';
    message = await failure(probes.sqlCheck({ query: insert, database: otherName }), INVALID_PROBE, false);
    assert.match(message, /tries to write/);
    assert.ok(message.includes(insert));
    const rows = await other.db.query<{ n: number }>('SELECT count(*)::int AS n FROM marker');
    assert.equal(rows.rows[0]!.n, 1);
  });

  it('names a missing query field', async () => {
    const message = await failure(probes.sqlCheck({ query: '' }), INVALID_REMEDIATION_INPUT, false);
    assert.match(message, /sqlCheck: query: expected a non-empty string/);
  });

  it('leaves no session behind', async () => {
    await probes.sqlCheck({ query: 'SELECT true' });
    const admin = new pg.Client({ connectionString: services.databaseUrl });
    await admin.connect();
    onCleanup(() => admin.end());
    const left = await admin.query(
      "SELECT 1 FROM pg_stat_activity WHERE application_name = 'dharma-probe' AND pid <> pg_backend_pid()",
    );
    assert.equal(left.rowCount, 0);
  });
});

describe('prometheus probes', () => {
  it('metricSeries fails retryably while the series is shorter than the model needs', async () => {
    // A 5 s step needs 35 s of data for 8 points; this file is long done by then.
    const message = await failure(
      probes.metricSeries({ query: 'dharma_probe_test_scrapes', window: '1m', step: '5s' }),
      CHECK_FAILED,
      true,
    );
    assert.match(
      message,
      new RegExp(`point\\(s\\) in the last 1m, the anomaly model needs at least ${MIN_SERIES_POINTS}`),
    );
  });

  it('prometheusCheck passes when every sample is below, with the highest value', async () => {
    const result = await probes.prometheusCheck({ query: 'dharma_probe_test_value', below: 5 });
    assert.equal(result.kind, 'prometheus');
    assert.equal(result.value, 3);
    assert.equal(result.detail, '2 sample(s), highest 3 < 5');
    const scalar = await probes.prometheusCheck({ query: 'scalar(min(dharma_probe_test_value))', below: 2 });
    assert.equal(scalar.value, 1);
  });

  it('prometheusCheck fails retryably naming the samples at or over the bound, or when there are none', async () => {
    let message = await failure(
      probes.prometheusCheck({ query: 'dharma_probe_test_value', below: 3 }),
      CHECK_FAILED,
      true,
    );
    assert.match(
      message,
      /is not below 3: 3 dharma_probe_test_value\{.*kind="a".*\} \(2 sample\(s\) in all\)/,
    );
    message = await failure(
      probes.prometheusCheck({ query: 'dharma_probe_test_value{kind="none"}', below: 3 }),
      CHECK_FAILED,
      true,
    );
    assert.match(message, /returned no samples/);
  });

  it('refuses a query Prometheus cannot parse, or a range vector, without retrying', async () => {
    let message = await failure(
      probes.prometheusCheck({ query: 'rate(dharma_probe_test_value', below: 1 }),
      INVALID_PROBE,
      false,
    );
    assert.match(message, /Prometheus rejected query "rate\(dharma_probe_test_value" \(bad_data: /);
    message = await failure(
      probes.prometheusCheck({ query: 'dharma_probe_test_value[1m]', below: 1 }),
      INVALID_PROBE,
      false,
    );
    assert.match(message, /returns a matrix result, expected an instant vector/);
  });

  it('metricSeries returns one series over the window, oldest first', async () => {
    // 3 s at a 250 ms step is 13 points: wait until the counter has been scraped for that long.
    await sleep(Math.max(0, seriesSince + 3_500 - Date.now()));
    const { values } = await probes.metricSeries({
      query: 'dharma_probe_test_scrapes',
      window: '3s',
      step: '250ms',
    });
    assert.ok(values.length >= 12 && values.length <= 13, `${values.length} points`);
    assert.deepEqual(
      values,
      [...values].sort((a, b) => a - b),
    );
    assert.ok(values.at(-1)! <= scrapes && values.at(-1)! > values[0]!, values.join(', '));
  });

  it('metricSeries refuses a query of several series and a window of too many points', async () => {
    let message = await failure(
      probes.metricSeries({ query: 'dharma_probe_test_value', window: '1m' }),
      INVALID_PROBE,
      false,
    );
    assert.match(message, /returns 2 series .*aggregate them/);
    message = await failure(
      probes.metricSeries({ query: 'dharma_probe_test_value', window: '1h', step: '100ms' }),
      INVALID_REMEDIATION_INPUT,
      false,
    );
    assert.match(message, /metricSeries: step: expected a duration of at least 361ms for a 1h window/);
  });

  it('fails retryably while Prometheus is unreachable', async () => {
    const closed = createProbeActivities({
      db: home.db,
      env: { PROMETHEUS_URL: `http://127.0.0.1:${await freePort()}` },
    });
    const message = await failure(closed.prometheusCheck({ query: 'up', below: 1 }), CHECK_FAILED, true);
    assert.match(message, /Prometheus at http:\/\/127\.0\.0\.1:\d+ gave no usable answer/);
  });

  it('fails without retrying when PROMETHEUS_URL is not set', async () => {
    for (const call of [
      () => unconfigured.prometheusCheck({ query: 'up', below: 1 }),
      () => unconfigured.metricSeries({ query: 'up', window: '5m' }),
    ]) {
      const message = await failure(call(), PROBE_NOT_CONFIGURED, false);
      assert.match(message, /PROMETHEUS_URL is not set/);
    }
  });
});
