import path from 'node:path';
import { packageRoot } from '../package-root.js';
import { loadOnce, loadOnnxModel, type OnnxModelMeta } from '../onnx-model.js';
import { alertText, TEXT_BUCKETS, vectorizeText, type AlertText } from './text-features.js';

export const ALERT_CAUSES = [
  'MEMORY_LEAK',
  'DISK_FULL',
  'CONNECTION_EXHAUSTION',
  'CPU_SATURATION',
  'CERT_EXPIRY',
  'BAD_DEPLOY',
  'UNKNOWN',
] as const;
export type AlertCause = (typeof ALERT_CAUSES)[number];

interface ClassifierMeta extends OnnxModelMeta {
  classes: string[];
  buckets: number;
}

export interface AlertClassification {
  cause: AlertCause;
  /** Probability of `cause` (0..1); the playbook matcher escalates below its threshold. */
  confidence: number;
  probabilities: Record<AlertCause, number>;
  modelVersion: string;
}

export interface AlertClassifier {
  readonly version: string;
  classify(alert: AlertText): Promise<AlertClassification>;
}

export function defaultAlertClassifierPath(): string {
  return path.join(packageRoot(), 'models', 'alert-classifier', 'model.onnx');
}

export async function loadAlertClassifier(modelPath: string): Promise<AlertClassifier> {
  const model = await loadOnnxModel<ClassifierMeta>(modelPath, (meta) => {
    if (JSON.stringify(meta.classes) !== JSON.stringify(ALERT_CAUSES))
      return `classes [${meta.classes.join(', ')}], lib/alerts-ml expects [${ALERT_CAUSES.join(', ')}]`;
    if (meta.buckets !== TEXT_BUCKETS)
      return `${meta.buckets} hash buckets, lib/alerts-ml builds ${TEXT_BUCKETS}`;
    return undefined;
  });
  return {
    version: model.version,
    async classify(alert) {
      const scores = await model.run(vectorizeText(alertText(alert)), 1, TEXT_BUCKETS);
      let best = 0;
      ALERT_CAUSES.forEach((_, i) => {
        if (scores[i]! > scores[best]!) best = i;
      });
      return {
        cause: ALERT_CAUSES[best]!,
        confidence: scores[best]!,
        probabilities: Object.fromEntries(ALERT_CAUSES.map((c, i) => [c, scores[i]!])) as Record<
          AlertCause,
          number
        >,
        modelVersion: model.version,
      };
    },
  };
}

/** The classifier at `modelPath`, loaded once per process. */
export const cachedAlertClassifier = loadOnce(loadAlertClassifier);
