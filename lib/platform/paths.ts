import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../package-root.js';

/** Whether this code runs from TypeScript sources (tsx) rather than compiled dist/. */
export const RUNS_FROM_SOURCE = fileURLToPath(import.meta.url).endsWith('.ts');

/** Path of a module of this package: `cli/main` → cli/main.ts from sources, dist/cli/main.js compiled. */
export function moduleEntry(relative: string): string {
  const root = packageRoot();
  return RUNS_FROM_SOURCE ? path.join(root, `${relative}.ts`) : path.join(root, 'dist', `${relative}.js`);
}

/** The workflow code prebundled by `npm run setup` / `npm run build`. */
export const WORKFLOW_BUNDLE = path.join('dist', 'workflow-bundle.js');

export function workflowBundlePath(): string {
  return path.join(packageRoot(), WORKFLOW_BUNDLE);
}

/** The workflow sources to bundle: the TypeScript entry when present, else the compiled one. */
export function workflowSourcePath(): string {
  const root = packageRoot();
  const source = path.join(root, 'workflows', 'index.ts');
  return existsSync(source) ? source : path.join(root, 'dist', 'workflows', 'index.js');
}
