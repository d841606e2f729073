/**
 * Prebundles the workflow code once at build time (`npm run build`, `npm run setup`), so workers load
 * dist/workflow-bundle.js instead of running webpack at every start.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode } from '@temporalio/worker';
import { workflowBundlePath, workflowSourcePath } from '../lib/platform/paths.js';

export { WORKFLOW_BUNDLE } from '../lib/platform/paths.js';

const quiet = { trace() {}, debug() {}, info() {}, log() {}, warn: console.warn, error: console.error };

/** Bundles workflows/index and writes the bundle; returns its path. */
export async function bundleWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowSourcePath(), logger: quiet });
  const target = workflowBundlePath();
  await mkdir(path.dirname(target), { recursive: true });
  await writeFile(target, code);
  return target;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(`workflow bundle written to ${await bundleWorkflows()}`);
}
