/**
 * Compiles the Rego guardrails in policies/ to WebAssembly for in-process evaluation
 * (lib/policy/evaluate.ts): `opa test` first (a failing policy test fails setup), then `opa build -t wasm`
 * against the builtins @open-policy-agent/opa-wasm implements, so a policy using any other builtin fails
 * here instead of at evaluation time. Run: tsx scripts/build-policies.ts
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, readFile, rename, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DharmaError } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { POLICY_ENTRYPOINT, defaultPolicyWasmPath } from '../lib/policy/evaluate.js';
import { requireOpa } from '../lib/tofu-tools.js';

const exec = promisify(execFile);

export const POLICIES_DIR = path.join(packageRoot(), 'policies');

export interface BuildPoliciesOptions {
  /** Where policy.wasm goes; default dist/policies/policy.wasm (POLICY_WASM overrides at run time). */
  wasmPath?: string;
  opaBinary?: string;
  log: (line: string) => void;
}

async function opa(binary: string, args: string[], cwd: string): Promise<string> {
  try {
    const { stdout } = await exec(binary, args, { cwd, maxBuffer: 16 * 1024 * 1024 });
    return stdout;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new DharmaError(`opa ${args[0]} failed:\n${failed.stdout ?? ''}${failed.stderr ?? failed.message}`);
  }
}

/**
 * opa-wasm's capabilities list its builtins but predate the `rego_v1` feature flag, which OPA 1.x
 * requires to parse v1 syntax; the builtins stay exactly the package's.
 */
async function wasmCapabilities(dir: string): Promise<string> {
  const require = createRequire(import.meta.url);
  // The package exports only its entry (src/index.cjs), so its root is one level above it.
  const packageDir = path.dirname(path.dirname(require.resolve('@open-policy-agent/opa-wasm')));
  const capabilities = JSON.parse(
    await readFile(path.join(packageDir, 'capabilities.json'), 'utf8'),
  ) as object;
  const file = path.join(dir, 'capabilities.json');
  await writeFile(file, JSON.stringify({ ...capabilities, features: ['rego_v1'] }));
  return file;
}

export async function buildPolicies(opts: BuildPoliciesOptions): Promise<string> {
  const started = Date.now();
  const binary = opts.opaBinary ?? requireOpa();
  const wasmPath = opts.wasmPath ?? defaultPolicyWasmPath();
  const tests = await opa(binary, ['test', POLICIES_DIR], POLICIES_DIR);
  opts.log(`opa test policies/: ${tests.trim().split('\n').pop() ?? ''}`);
  const work = await mkdtemp(path.join(tmpdir(), 'dharma-policies-'));
  try {
    const capabilities = await wasmCapabilities(work);
    const bundle = path.join(work, 'bundle.tar.gz');
    const buildArgs = ['build', '-t', 'wasm', '-e', POLICY_ENTRYPOINT, '--capabilities', capabilities];
    await opa(binary, [...buildArgs, '--ignore', '*_test.rego', '-o', bundle, POLICIES_DIR], work);
    await exec('tar', ['-xzf', bundle, '-C', work, '/policy.wasm']);
    await mkdir(path.dirname(wasmPath), { recursive: true });
    // Written beside the target then renamed, so a running evaluator never reads a half-written file.
    const staged = `${wasmPath}.${process.pid}.tmp`;
    await writeFile(staged, await readFile(path.join(work, 'policy.wasm')));
    await rename(staged, wasmPath);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  opts.log(`policies compiled to ${wasmPath} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  return wasmPath;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildPolicies({ log: (line) => console.log(line) });
}
