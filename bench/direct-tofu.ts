import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { dropStateSchema } from '../activities/terraform/state-schema.js';
import type { Blueprint } from '../lib/blueprints/schema.js';
import { synthesize, writeSynthesis } from '../lib/iac/synthesize.js';
import { requireTofu, tofuEnv } from '../lib/tofu-tools.js';
import { runTofu, tofuProcessEnv, type TofuCommand } from '../lib/tofu/runner.js';

const PLAN_FILE = 'plan.bin';

export interface TofuStack {
  blueprint: Blueprint;
  environment: string;
  stack: string;
  /** The pg backend's connection, as the workers give it to tofu (PG_CONN_STR). */
  connStr: string;
  /** Values of the blueprint's variables (terraform.tfvars.json), as the saga is given them. */
  variables: Record<string, string>;
  /** What the terraform workers add to tofu's environment too (the PG* of the server local blueprints manage). */
  env: Record<string, string>;
}

type Step = [TofuCommand, string[]];

/**
 * Synthesizes the stack (lib/iac/synthesize.ts, pg backend in the stack's own schema) into a fresh
 * directory and runs `steps` there, timing each; the directory is removed afterwards.
 */
async function inWorkdir(stack: TofuStack, steps: readonly Step[]): Promise<Record<string, number>> {
  const synthesis = synthesize(stack.blueprint, {
    environment: stack.environment,
    stack: stack.stack,
    backend: { connStr: stack.connStr },
    variables: stack.variables,
  });
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-saga-bench-'));
  try {
    await writeSynthesis(dir, synthesis);
    const options = {
      binary: requireTofu(),
      cwd: dir,
      env: tofuProcessEnv(tofuEnv(), stack.env, synthesis.env),
    };
    const times: Record<string, number> = {};
    for (const [command, args] of steps) {
      const began = performance.now();
      await runTofu(command, args, options);
      times[[command, ...args].join(' ')] = performance.now() - began;
    }
    return times;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `tofu init && tofu plan -out=plan.bin && tofu apply plan.bin`, each command timed. */
export function directDeploy(stack: TofuStack): Promise<Record<string, number>> {
  return inWorkdir(stack, [
    ['init', []],
    ['plan', [`-out=${PLAN_FILE}`]],
    ['apply', [PLAN_FILE]],
  ]);
}

/** Destroys whatever the stack's state holds, then drops its state schema: the next run starts empty. */
export async function destroyStack(stack: TofuStack, db: pg.Pool): Promise<void> {
  await inWorkdir(stack, [
    ['init', []],
    ['plan', ['-destroy', `-out=${PLAN_FILE}`]],
    ['apply', [PLAN_FILE]],
  ]);
  const { schemaName } = synthesize(stack.blueprint, {
    environment: stack.environment,
    stack: stack.stack,
    backend: {},
  });
  await dropStateSchema(db, schemaName);
}
