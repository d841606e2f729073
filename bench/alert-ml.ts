import { spawn } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../lib/package-root.js';

export interface InferenceFigures {
  /** bench/ml-inference.ts's own report, printed as is. */
  report: string;
  classifierP99Ms?: number;
  anomalyP99Ms?: number;
}

/**
 * `npm run bench:ml` in a child process (alone on the machine's cores once the platform is stopped),
 * with the p99 of the two end-to-end paths the ml pool runs picked from its verdict lines.
 */
export async function runInferenceBench(iterations: number): Promise<InferenceFigures> {
  const script = path.join(packageRoot(), 'bench', 'ml-inference.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', script, String(iterations)], {
    cwd: packageRoot(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) return { report: `bench/ml-inference.ts failed (exit ${code}):\n${err.trim()}` };
  const p99 = (label: string) => {
    const line = out.split('\n').find((l) => l.startsWith(`${label}: p99 `));
    const value = Number(/p99 ([\d.]+) ms/.exec(line ?? '')?.[1]);
    return Number.isFinite(value) ? value : undefined;
  };
  const classifierP99Ms = p99('alert-classifier: text → classify');
  const anomalyP99Ms = p99('metric-anomaly: window → judge');
  return {
    report: out.trimEnd(),
    ...(classifierP99Ms === undefined ? {} : { classifierP99Ms }),
    ...(anomalyP99Ms === undefined ? {} : { anomalyP99Ms }),
  };
}
