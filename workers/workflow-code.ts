import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { Logger } from '../lib/logger.js';
import { packageRoot } from '../lib/package-root.js';
import { RUNS_FROM_SOURCE, workflowBundlePath, workflowSourcePath } from '../lib/platform/paths.js';

/** Directories whose files end up in the workflow bundle (workflows import shared contracts from lib/). */
const BUNDLED_DIRS = ['workflows', 'lib'];

function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/**
 * Compiled code uses the bundle built with it. From sources (tsx, tests) the prebundle may predate an
 * edit, so it is used only when newer than every bundled source; otherwise the worker bundles at start.
 */
export function usablePrebundle(): string | undefined {
  const bundle = workflowBundlePath();
  if (!existsSync(bundle)) return undefined;
  if (!RUNS_FROM_SOURCE) return bundle;
  const built = statSync(bundle).mtimeMs;
  const root = packageRoot();
  return BUNDLED_DIRS.every((dir) => newestMtime(path.join(root, dir)) <= built) ? bundle : undefined;
}

/** Worker options that load the workflow code: the prebundle from the build, else a bundle made now. */
export async function workflowCodeOptions(logger: Logger): Promise<Pick<WorkerOptions, 'workflowBundle'>> {
  const prebundle = usablePrebundle();
  if (prebundle) {
    logger.debug({ bundle: prebundle }, 'using prebundled workflow code');
    return { workflowBundle: { codePath: prebundle } };
  }
  logger.info('no up-to-date workflow bundle (run `npm run build`); bundling workflows now');
  const quiet = {
    trace() {},
    debug() {},
    info() {},
    log() {},
    warn: (m: string) => logger.warn(m),
    error: (m: string) => logger.error(m),
  };
  return { workflowBundle: await bundleWorkflowCode({ workflowsPath: workflowSourcePath(), logger: quiet }) };
}
