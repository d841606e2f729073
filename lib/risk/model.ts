import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setting, type Env } from '../config.js';
import { DharmaError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { FEATURE_NAMES } from './features.js';
import { loadOnce } from '../alerts-ml/onnx-model.js';

/** What train.py writes beside model.onnx. */
interface ModelMeta {
  name: string;
  version: string;
  sha256: string;
  input: string;
  output: string;
  features: string[];
}

export interface RiskModel {
  /** `<name>@<version>+<first 12 hex of the file's sha256>`: which exact file scored a change. */
  readonly version: string;
  /** Incident probability (0..1) of each feature vector (FEATURE_NAMES order). */
  predict(rows: readonly Float32Array[]): Promise<number[]>;
}

export class RiskModelInvalid extends DharmaError {}

export function defaultRiskModelPath(): string {
  return path.join(packageRoot(), 'models', 'change-risk', 'model.onnx');
}

/** RISK_MODEL_PATH, or the model shipped in the repository (found from the package root, so dist/ works). */
export function riskModelPath(env: Env = process.env): string {
  return path.resolve(setting('RISK_MODEL_PATH', env) || defaultRiskModelPath());
}

async function readMeta(modelPath: string, bytes: Buffer): Promise<ModelMeta> {
  const metaPath = path.join(path.dirname(modelPath), 'model-meta.json');
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as ModelMeta;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (meta.sha256 !== sha256) {
    throw new RiskModelInvalid(
      `${metaPath} describes another file (sha256 ${meta.sha256}, ${modelPath} has ${sha256})`,
    );
  }
  if (JSON.stringify(meta.features) !== JSON.stringify(FEATURE_NAMES)) {
    throw new RiskModelInvalid(
      `${modelPath} expects features [${meta.features.join(', ')}], lib/risk builds [${FEATURE_NAMES.join(', ')}]`,
    );
  }
  return meta;
}

/**
 * Loads the model with one intra-op thread: a prediction is a few hundred tree lookups, far too little to
 * split, and the ml pool's parallelism comes from its concurrent activities.
 */
export async function loadRiskModel(modelPath: string): Promise<RiskModel> {
  const bytes = await readFile(modelPath);
  const meta = await readMeta(modelPath, bytes);
  // Imported here, not at the top: every pool's worker imports the activity factories, and only the ml
  // pool should pay for loading the native runtime.
  const { InferenceSession, Tensor } = await import('onnxruntime-node');
  const session = await InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
  });
  const width = FEATURE_NAMES.length;
  return {
    version: `${meta.name}@${meta.version}+${meta.sha256.slice(0, 12)}`,
    async predict(rows) {
      if (rows.length === 0) return [];
      const input = new Float32Array(rows.length * width);
      rows.forEach((row, i) => {
        if (row.length !== width)
          throw new RangeError(`row ${i}: expected ${width} features, got ${row.length}`);
        input.set(row, i * width);
      });
      const outputs = await session.run(
        { [meta.input]: new Tensor('float32', input, [rows.length, width]) },
        [meta.output],
      );
      const probabilities = outputs[meta.output]?.data as Float32Array;
      // Column 1 of [N, 2] is the incident class.
      return rows.map((_, i) => probabilities[i * 2 + 1] ?? Number.NaN);
    },
  };
}

/** The model at `modelPath`, loaded once per process (a failed load is retried on the next call). */
export const cachedRiskModel: (modelPath: string) => Promise<RiskModel> = loadOnce(loadRiskModel);
