import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { FEATURE_NAMES } from '../../lib/risk/features.js';
import {
  cachedRiskModel,
  defaultRiskModelPath,
  loadRiskModel,
  RiskModelInvalid,
} from '../../lib/risk/model.js';

interface Fixtures {
  features: string[];
  cases: { features: number[]; probability: number }[];
}

const modelDir = path.dirname(defaultRiskModelPath());
const fixtures = JSON.parse(await readFile(path.join(modelDir, 'fixtures.json'), 'utf8')) as Fixtures;
const rows = fixtures.cases.map((c) => Float32Array.from(c.features));

describe('change-risk model in onnxruntime-node', () => {
  it('agrees with the Python predictions on every fixture within 1e-5, in one batch and one by one', async () => {
    const model = await loadRiskModel(defaultRiskModelPath());
    assert.ok(fixtures.cases.length >= 50);
    const batch = await model.predict(rows);
    for (const [i, c] of fixtures.cases.entries()) {
      assert.ok(Math.abs(batch[i]! - c.probability) < 1e-5, `case ${i}: ${batch[i]} vs ${c.probability}`);
      const [single] = await model.predict([rows[i]!]);
      assert.ok(Math.abs(single! - c.probability) < 1e-5, `case ${i} alone: ${single}`);
    }
  });

  it('names its version with the file hash, and is loaded once per process', async () => {
    const first = cachedRiskModel(defaultRiskModelPath());
    assert.equal(cachedRiskModel(defaultRiskModelPath()), first);
    assert.match((await first).version, /^change-risk@\d+\.\d+\.\d+\+[0-9a-f]{12}$/);
  });

  it('refuses a model whose metadata does not describe it', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'risk-model-'));
    after(() => rm(dir, { recursive: true, force: true }));
    await copyFile(defaultRiskModelPath(), path.join(dir, 'model.onnx'));
    const meta = JSON.parse(await readFile(path.join(modelDir, 'model-meta.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    await writeFile(path.join(dir, 'model-meta.json'), JSON.stringify({ ...meta, sha256: '0'.repeat(64) }));
    await assert.rejects(loadRiskModel(path.join(dir, 'model.onnx')), RiskModelInvalid);
    await writeFile(
      path.join(dir, 'model-meta.json'),
      JSON.stringify({ ...meta, features: [...FEATURE_NAMES].reverse() }),
    );
    await assert.rejects(loadRiskModel(path.join(dir, 'model.onnx')), /expects features \[deployments_7d/);
  });

  it('rejects a feature vector of the wrong width', async () => {
    const model = await loadRiskModel(defaultRiskModelPath());
    await assert.rejects(model.predict([new Float32Array(3)]), /row 0: expected 17 features, got 3/);
  });
});
