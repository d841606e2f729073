/**
 * Feature hashing of an alert's text: the TypeScript twin of models/alert-classifier/text_features.py
 * (read its docstring for the exact recipe). The ONNX model only holds the linear classifier, so this
 * must build the same vector as Python; test/alerts-ml/parity.test.ts checks it on every fixture.
 */
export const TEXT_BUCKETS = 4096;
const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const encoder = new TextEncoder();

export interface AlertText {
  alertName: string;
  summary: string;
  labels: Readonly<Record<string, string>>;
}

/** Name, summary, then each label as "key value" with keys in code-point order (Python's sorted()). */
export function alertText({ alertName, summary, labels }: AlertText): string {
  const keys = Object.keys(labels).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return [alertName, summary, ...keys.map((key) => `${key} ${labels[key]}`)].join(' ');
}

export function tokens(text: string): string[] {
  return (
    text
      .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
      .toLowerCase()
      .match(/[a-z0-9]+/g) ?? []
  );
}

export function textFeatures(text: string): string[] {
  const words = tokens(text);
  const result = words.map((w) => `w:${w}`);
  for (let i = 0; i + 1 < words.length; i++) result.push(`b:${words[i]} ${words[i + 1]}`);
  for (const w of words) {
    const padded = ` ${w} `;
    for (let i = 0; i + 3 <= padded.length; i++) result.push(`c:${padded.slice(i, i + 3)}`);
  }
  return result;
}

export function fnv1a(value: string): number {
  let h = FNV_OFFSET;
  // Features are ASCII (tokens are [a-z0-9]), whose UTF-8 bytes are the char codes: skip the encoder,
  // the hot spot of a classification.
  if (/^[\x00-\x7f]*$/.test(value)) {
    for (let i = 0; i < value.length; i++) h = Math.imul(h ^ value.charCodeAt(i), FNV_PRIME) >>> 0;
    return h;
  }
  for (const byte of encoder.encode(value)) h = Math.imul(h ^ byte, FNV_PRIME) >>> 0;
  return h;
}

/** log(1 + count) per bucket, scaled to unit L2 norm (all zeros for a text without tokens). */
export function vectorizeText(text: string): Float32Array {
  const counts = new Map<number, number>();
  for (const feature of textFeatures(text)) {
    const bucket = fnv1a(feature) % TEXT_BUCKETS;
    counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
  }
  const vector = new Float64Array(TEXT_BUCKETS);
  for (const [bucket, count] of counts) vector[bucket] = Math.log1p(count);
  let squares = 0;
  for (const v of vector) squares += v * v;
  const norm = Math.sqrt(squares);
  return Float32Array.from(norm > 0 ? vector.map((v) => v / norm) : vector);
}
