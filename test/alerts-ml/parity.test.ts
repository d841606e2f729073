import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { defaultMetricAnomalyPath, loadMetricAnomalyModel } from '../../lib/alerts-ml/anomaly.js';
import {
  ALERT_CAUSES,
  cachedAlertClassifier,
  defaultAlertClassifierPath,
  loadAlertClassifier,
} from '../../lib/alerts-ml/classifier.js';
import { seriesFeatures, type Baseline } from '../../lib/alerts-ml/series-features.js';
import { alertText, fnv1a, tokens, vectorizeText } from '../../lib/alerts-ml/text-features.js';

const readJson = async <T>(modelPath: string, name: string) =>
  JSON.parse(await readFile(path.join(path.dirname(modelPath), name), 'utf8')) as T;

interface AlertCase {
  alertName: string;
  summary: string;
  labels: Record<string, string>;
  nonZeroBuckets: Record<string, number>;
  probabilities: number[];
}
interface SeriesCase {
  values: number[];
  baseline?: Baseline;
  threshold?: number;
  features: number[];
  score: number;
}

const alertFixtures = await readJson<{ classes: string[]; cases: AlertCase[] }>(
  defaultAlertClassifierPath(),
  'fixtures.json',
);
const seriesFixtures = await readJson<{ cases: SeriesCase[] }>(defaultMetricAnomalyPath(), 'fixtures.json');

describe('alert text hashing', () => {
  it('splits camelCase, lowercases and keeps runs of [a-z0-9]', () => {
    assert.deepEqual(tokens('KubePodOOMKilled: disk_full 95%'), [
      'kube',
      'pod',
      'oomkilled',
      'disk',
      'full',
      '95',
    ]);
    assert.deepEqual(tokens('—'), []);
  });

  it('uses 32-bit FNV-1a over UTF-8 bytes', () => {
    // Reference values of the FNV-1a specification.
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(fnv1a('foobar'), 0xbf9cf968);
    assert.equal(fnv1a('é'), Math.imul(Math.imul(0x811c9dc5 ^ 0xc3, 0x01000193) ^ 0xa9, 0x01000193) >>> 0);
  });

  it('puts labels after the text, sorted by key, and gives a unit vector (zeros without tokens)', () => {
    assert.equal(alertText({ alertName: 'A', summary: 's', labels: { z: '1', b: '2' } }), 'A s b 2 z 1');
    const v = vectorizeText('disk full');
    assert.ok(Math.abs(Math.hypot(...v) - 1) < 1e-6);
    assert.ok(vectorizeText('').every((x) => x === 0));
  });

  it('builds the same buckets as Python', () => {
    for (const c of alertFixtures.cases) {
      const v = vectorizeText(alertText(c));
      for (const [bucket, value] of Object.entries(c.nonZeroBuckets)) {
        assert.ok(Math.abs(v[Number(bucket)]! - value) < 1e-6, `${c.alertName}: bucket ${bucket}`);
      }
    }
  });
});

describe('alert classifier in onnxruntime-node', () => {
  it('agrees with the Python probabilities on every fixture within 1e-5', async () => {
    const model = await loadAlertClassifier(defaultAlertClassifierPath());
    assert.deepEqual(alertFixtures.classes, [...ALERT_CAUSES]);
    assert.ok(alertFixtures.cases.length >= 50);
    for (const c of alertFixtures.cases) {
      const result = await model.classify(c);
      ALERT_CAUSES.forEach((cause, i) => {
        const delta = Math.abs(result.probabilities[cause] - c.probabilities[i]!);
        assert.ok(delta < 1e-5, `${JSON.stringify(c.alertName)} ${cause}: |Δ| ${delta}`);
      });
      assert.equal(result.confidence, Math.max(...Object.values(result.probabilities)));
      assert.equal(result.probabilities[result.cause], result.confidence);
    }
  });

  it('recognises typical alerts and names its version with the file hash, loading once per process', async () => {
    const first = cachedAlertClassifier(defaultAlertClassifierPath());
    assert.equal(cachedAlertClassifier(defaultAlertClassifierPath()), first);
    const model = await first;
    assert.match(model.version, /^alert-classifier@\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
    const cases: [string, string, string][] = [
      ['NodeFilesystemAlmostOutOfSpace', 'Filesystem /var/log on web-03 has only 3% space left', 'DISK_FULL'],
      [
        'PostgresqlTooManyConnections',
        'PostgreSQL instance db-primary uses 97% of max_connections',
        'CONNECTION_EXHAUSTION',
      ],
      ['SSLCertExpiringSoon', 'certificate for shop.example.com expires in 3 days', 'CERT_EXPIRY'],
      ['KubePodCrashLooping', 'checkout pods crash since deploy v2.3.1 10m ago', 'BAD_DEPLOY'],
    ];
    for (const [alertName, summary, cause] of cases) {
      const result = await model.classify({ alertName, summary, labels: { severity: 'critical' } });
      assert.equal(result.cause, cause, alertName);
      assert.ok(result.confidence > 0.6, `${alertName}: confidence ${result.confidence}`);
    }
  });
});

describe('metric anomaly model in onnxruntime-node', () => {
  it('computes the same features and scores as Python on every fixture (|Δ| < 1e-5)', async () => {
    const model = await loadMetricAnomalyModel(defaultMetricAnomalyPath());
    assert.ok(seriesFixtures.cases.length >= 50);
    for (const [i, c] of seriesFixtures.cases.entries()) {
      const features = seriesFeatures(c.values, c.baseline, c.threshold);
      c.features.forEach((expected, j) =>
        assert.ok(
          Math.abs(features[j]! - expected) <= 1e-5 * Math.max(1, Math.abs(expected)),
          `case ${i} f${j}`,
        ),
      );
      const verdict = await model.judge(c);
      assert.ok(Math.abs(verdict.score - c.score) < 1e-5, `case ${i}: ${verdict.score} vs ${c.score}`);
      assert.equal(verdict.normal, c.score >= 0);
    }
  });

  it('calls a settled series normal and one still above its threshold anomalous', async () => {
    const model = await loadMetricAnomalyModel(defaultMetricAnomalyPath());
    const wobble = (i: number) => Math.sin(i * 1.7) * 2;
    const settled = Array.from({ length: 30 }, (_, i) => 50 + wobble(i));
    const stuck = Array.from({ length: 30 }, (_, i) => 95 + wobble(i));
    const baseline = { mean: 50, sd: 1.5 };
    assert.equal((await model.judge({ values: settled, baseline, threshold: 80 })).normal, true);
    assert.equal((await model.judge({ values: stuck, baseline, threshold: 80 })).normal, false);
    const recovered = [...Array.from({ length: 15 }, (_, i) => 50 + wobble(i)), ...stuck.slice(15)];
    assert.equal((await model.judge({ values: recovered })).normal, false);
    assert.match(model.version, /^metric-anomaly@\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  });
});
