import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DharmaError } from './errors.js';

/** The fields of model-meta.json (written by each model's train.py) that inference relies on. */
export interface OnnxModelMeta {
  name: string;
  version: string;
  sha256: string;
  input: string;
  output: string;
}

/** A model file and its model-meta.json disagree, or the meta does not fit the code that reads it. */
export class ModelInvalid extends DharmaError {}

export interface OnnxModel<Meta extends OnnxModelMeta> {
  /** `<name>@<version>+<first 12 hex of the file's sha256>`: which exact file answered. */
  readonly version: string;
  readonly meta: Meta;
  /** Runs `rows` rows of `width` float32 features (row-major) and returns the output tensor's data. */
  run(input: Float32Array, rows: number, width: number): Promise<Float32Array>;
}

/**
 * Loads an ONNX model and its model-meta.json, refusing a meta that describes another file (a retrain
 * that updated one but not the other) or another model. One intra-op thread: a prediction is far too
 * small to split, and the ml pool's parallelism comes from its concurrent activities.
 */
export async function loadOnnxModel<Meta extends OnnxModelMeta>(
  modelPath: string,
  check: (meta: Meta) => string | undefined,
): Promise<OnnxModel<Meta>> {
  const bytes = await readFile(modelPath);
  const metaPath = path.join(path.dirname(modelPath), 'model-meta.json');
  const meta = JSON.parse(await readFile(metaPath, 'utf8')) as Meta;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (meta.sha256 !== sha256) {
    throw new ModelInvalid(
      `${metaPath} describes another file (sha256 ${meta.sha256}, ${modelPath} has ${sha256})`,
    );
  }
  const problem = check(meta);
  if (problem !== undefined) throw new ModelInvalid(`${modelPath}: ${problem}`);
  // Imported here, not at the top: only the ml pool should pay for loading the native runtime.
  const { InferenceSession, Tensor } = await import('onnxruntime-node');
  const session = await InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
  });
  return {
    version: `${meta.name}@${meta.version}+${meta.sha256.slice(0, 12)}`,
    meta,
    async run(input, rows, width) {
      const outputs = await session.run({ [meta.input]: new Tensor('float32', input, [rows, width]) }, [
        meta.output,
      ]);
      return outputs[meta.output]?.data as Float32Array;
    },
  };
}

/**
 * Caches one load per path and process: the first caller starts it, later ones share it; a failed load
 * is forgotten so the next call (an activity retry) tries again.
 */
export function loadOnce<T>(load: (modelPath: string) => Promise<T>): (modelPath: string) => Promise<T> {
  const loaded = new Map<string, Promise<T>>();
  return (modelPath) => {
    let model = loaded.get(modelPath);
    if (!model) {
      model = load(modelPath);
      loaded.set(modelPath, model);
      void model.catch(() => loaded.delete(modelPath));
    }
    return model;
  };
}
