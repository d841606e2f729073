import path from 'node:path';
import { setting, type Env } from '../config.js';
import { packageRoot } from '../package-root.js';
import { FEATURE_NAMES } from './features.js';
import { loadOnce, loadOnnxModel, ModelInvalid, type OnnxModelMeta } from '../onnx-model.js';

/** What train.py writes beside model.onnx. */
interface ModelMeta extends OnnxModelMeta {
  features: string[];
}

export interface RiskModel {
  /** `<name>@<version>+<first 12 hex of the file's sha256>`: which exact file scored a change. */
  readonly version: string;
  /** Incident probability (0..1) of each feature vector (FEATURE_NAMES order). */
  predict(rows: readonly Float32Array[]): Promise<number[]>;
}

export { ModelInvalid as RiskModelInvalid };

export function defaultRiskModelPath(): string {
  return path.join(packageRoot(), 'models', 'change-risk', 'model.onnx');
}

/** RISK_MODEL_PATH, or the model shipped in the repository (found from the package root, so dist/ works). */
export function riskModelPath(env: Env = process.env): string {
  return path.resolve(setting('RISK_MODEL_PATH', env) || defaultRiskModelPath());
}

/**
 * Loads the model with one intra-op thread: a prediction is a few hundred tree lookups, far too little to
 * split, and the ml pool's parallelism comes from its concurrent activities.
 */
export async function loadRiskModel(modelPath: string): Promise<RiskModel> {
  const model = await loadOnnxModel<ModelMeta>(modelPath, (meta) =>
    JSON.stringify(meta.features) === JSON.stringify(FEATURE_NAMES)
      ? undefined
      : `expects features [${meta.features.join(', ')}], lib/risk builds [${FEATURE_NAMES.join(', ')}]`,
  );
  const width = FEATURE_NAMES.length;
  return {
    version: model.version,
    async predict(rows) {
      if (rows.length === 0) return [];
      const input = new Float32Array(rows.length * width);
      rows.forEach((row, i) => {
        if (row.length !== width)
          throw new RangeError(`row ${i}: expected ${width} features, got ${row.length}`);
        input.set(row, i * width);
      });
      const probabilities = await model.run(input, rows.length, width);
      // Column 1 of [N, 2] is the incident class.
      return rows.map((_, i) => probabilities[i * 2 + 1] ?? Number.NaN);
    },
  };
}

/** The model at `modelPath`, loaded once per process (a failed load is retried on the next call). */
export const cachedRiskModel: (modelPath: string) => Promise<RiskModel> = loadOnce(loadRiskModel);
