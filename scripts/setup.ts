/**
 * `npm run setup`: installs the pinned toolchain into .tools/ (package registries only) and builds
 * dist/ (tsc + the prebundled workflow code). Idempotent; prints each step, its outcome and its time.
 * `--if-needed` only checks stamps and does nothing when everything is present and up to date, so
 * `npm start` / `npm test` can run it every time.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setting, toolsDir, type Env } from '../lib/config.js';
import { DharmaError, ToolMissing } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { bundleWorkflows, WORKFLOW_BUNDLE } from './bundle-workflows.js';
import {
  isCompatibleVersion,
  TOOLCHAIN,
  VENV_DIR,
  type PypiTool,
  type Tool,
  type ToolKind,
} from './toolchain.js';
import { defaultPolicyWasmPath } from '../lib/policy/evaluate.js';
import { buildPolicies } from './build-policies.js';
import { installGoTools, staleGoTools } from './go-tools.js';
import { isExecutable, onPath } from '../lib/tools.js';

const ROOT = packageRoot();
/**
 * Sources whose change requires a rebuild: what `dharma` runs from dist/. Tests and benchmarks run from
 * source through tsx, and tests write scratch files under test/, so they do not count.
 */
const SOURCE_DIRS = ['workflows', 'activities', 'workers', 'api', 'lib', 'cli', 'scripts', 'policies'];
const SOURCE_FILES = ['tsconfig.json', 'package-lock.json'];
const BUILD_STAMP = path.join(ROOT, 'dist', '.build-stamp');
const TOOLS_STAMP = 'setup-stamp.json';
const PYTHON_HINT =
  'install Python 3 with venv and pip (Debian/Ubuntu: `sudo apt-get install python3 python3-venv python3-pip`)';

interface Run {
  code: number;
  output: string;
}

function run(command: string, args: string[], options: { cwd?: string; env?: Env } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

async function versionOutput(binary: string, args: string[]): Promise<string | undefined> {
  try {
    const result = await run(binary, args);
    return result.code === 0 ? result.output : undefined;
  } catch {
    return undefined;
  }
}

// ---- tools --------------------------------------------------------------------------------------

/** Stamp value of a tool satisfied by an external binary: the prefix, then the binary's path. */
const EXTERNAL = 'external:';

interface ToolsStamp {
  tools: Record<string, string>;
}

function readToolsStamp(dir: string): ToolsStamp {
  try {
    return JSON.parse(readFileSync(path.join(dir, TOOLS_STAMP), 'utf8')) as ToolsStamp;
  } catch {
    return { tools: {} };
  }
}

/** An external binary standing in for the pinned one, or undefined; a configured but unfit one is an error. */
async function externalAlternative(tool: PypiTool): Promise<{ binary: string; version: string } | undefined> {
  const alt = tool.alternative;
  if (!alt) return undefined;
  const configured = setting(alt.setting);
  const candidate = configured || onPath(alt.command);
  if (!candidate) return undefined;
  const output = await versionOutput(candidate, alt.versionArgs);
  const version = output ? alt.versionPattern.exec(output)?.[1] : undefined;
  if (version && isCompatibleVersion(version, alt.minVersion)) return { binary: candidate, version };
  if (configured) {
    throw new DharmaError(
      `${alt.setting}=${configured} is not a compatible ${tool.name} (need ${alt.minVersion} or newer within the same major version; ` +
        `got ${version ?? 'no version output'}). Unset it to let setup install ${tool.package}==${tool.version}.`,
    );
  }
  return undefined;
}

/** The pinned version is installed when pip's metadata for exactly that version sits in the venv. */
function pypiInstalled(tool: PypiTool, dir: string): boolean {
  if (!isExecutable(path.join(dir, tool.binary))) return false;
  const lib = path.join(dir, VENV_DIR, 'lib');
  if (!existsSync(lib)) return false;
  const distInfo = `${tool.package.replace(/-/g, '_')}-${tool.version}.dist-info`;
  return readdirSync(lib).some((python) => existsSync(path.join(lib, python, 'site-packages', distInfo)));
}

async function ensureVenv(dir: string): Promise<void> {
  const python = path.join(dir, VENV_DIR, 'bin', 'python');
  if (isExecutable(python)) return;
  let created: Run;
  try {
    created = await run('python3', ['-m', 'venv', path.join(dir, VENV_DIR)]);
  } catch {
    throw new ToolMissing('python3', PYTHON_HINT);
  }
  if (created.code !== 0) {
    throw new ToolMissing('Python venv module', `${PYTHON_HINT}\n${created.output.trim()}`);
  }
}

async function installPypi(tool: PypiTool, dir: string, stamp: ToolsStamp): Promise<string> {
  if (pypiInstalled(tool, dir)) {
    stamp.tools[tool.package] = tool.version;
    return 'already present';
  }
  const external = await externalAlternative(tool);
  if (external) {
    stamp.tools[tool.package] = `${EXTERNAL}${external.binary}`;
    return `using ${external.binary} (${external.version})`;
  }
  await ensureVenv(dir);
  const pip = path.join(dir, VENV_DIR, 'bin', 'pip');
  const extras = tool.extras ? `[${tool.extras.join(',')}]` : '';
  const spec = `${tool.package}${extras}==${tool.version}`;
  const result = await run(pip, ['install', '--disable-pip-version-check', '--no-input', '--quiet', spec]);
  if (result.code !== 0) {
    throw new DharmaError(`pip install ${spec} failed (is PyPI reachable?):\n${result.output.trim()}`);
  }
  stamp.tools[tool.package] = tool.version;
  return 'installed';
}

/** One installer per kind of tool: add a kind to scripts/toolchain.ts and its installer here. */
const INSTALLERS: {
  [K in ToolKind]: (tool: Extract<Tool, { kind: K }>, dir: string, stamp: ToolsStamp) => Promise<string>;
} = { pypi: installPypi };

/** Cheap check for `--if-needed`: the stamp names the pinned versions and every binary is still there. */
function toolsUpToDate(dir: string): boolean {
  const stamp = readToolsStamp(dir);
  return TOOLCHAIN.every((tool) => {
    const recorded = stamp.tools[tool.package];
    if (recorded === tool.version) return isExecutable(path.join(dir, tool.binary));
    // An external stand-in was accepted last time: it still counts while it exists and is still the one configured.
    if (!recorded?.startsWith(EXTERNAL) || !tool.alternative) return false;
    const binary = recorded.slice(EXTERNAL.length);
    const configured = setting(tool.alternative.setting);
    return isExecutable(binary) && (!configured || configured === binary);
  });
}

// ---- build --------------------------------------------------------------------------------------

function collectSources(dir: string, into: string[]): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) collectSources(full, into);
    else if (/\.(ts|json|sql)$/.test(entry.name)) into.push(full);
  }
}

/** Hash of every build input's path, size and mtime, plus the toolchain pins: cheap and sufficient. */
function buildFingerprint(): string {
  const files: string[] = SOURCE_FILES.map((f) => path.join(ROOT, f));
  for (const dir of SOURCE_DIRS) collectSources(path.join(ROOT, dir), files);
  const hash = createHash('sha256');
  hash.update(JSON.stringify(TOOLCHAIN.map((t) => [t.package, t.version])));
  for (const file of files.sort()) {
    if (!existsSync(file)) continue;
    const stat = statSync(file);
    hash.update(`${path.relative(ROOT, file)}:${stat.size}:${stat.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function buildUpToDate(): boolean {
  try {
    return (
      readFileSync(BUILD_STAMP, 'utf8') === buildFingerprint() &&
      existsSync(path.join(ROOT, WORKFLOW_BUNDLE)) &&
      existsSync(path.join(ROOT, 'dist', 'cli', 'main.js')) &&
      existsSync(defaultPolicyWasmPath())
    );
  } catch {
    return false;
  }
}

async function compile(): Promise<string> {
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await run(process.execPath, [tsc, '-p', 'tsconfig.json']);
  if (result.code !== 0) throw new DharmaError(`TypeScript build failed:\n${result.output.trim()}`);
  return 'compiled to dist/';
}

// ---- driver -------------------------------------------------------------------------------------

async function step(name: string, action: () => Promise<string>): Promise<void> {
  const started = performance.now();
  const outcome = await action();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`  ${name.padEnd(44)} ${outcome} (${seconds}s)`);
}

async function main(): Promise<void> {
  const ifNeeded = process.argv.includes('--if-needed');
  const dir = toolsDir();
  const started = performance.now();
  if (ifNeeded && toolsUpToDate(dir) && (await staleGoTools(dir)).length === 0 && buildUpToDate()) return;

  console.log(`dharma setup (tools in ${path.relative(ROOT, dir) || dir})`);
  await mkdir(dir, { recursive: true });
  const stamp = readToolsStamp(dir);
  for (const tool of TOOLCHAIN) {
    await step(`${tool.name} ${tool.version}`, () => INSTALLERS[tool.kind](tool, dir, stamp));
  }
  await writeFile(path.join(dir, TOOLS_STAMP), JSON.stringify(stamp, null, 2) + '\n');
  await step('Go tools (OpenTofu, providers, OPA, Prometheus)', async () => {
    const stale = await staleGoTools(dir);
    if (stale.length === 0) return 'already present';
    console.log(
      `  building ${stale.join(', ')} with go from the module proxy (several minutes on a fresh machine)`,
    );
    await installGoTools({ toolsDir: dir, log: (line) => console.log(`    ${line}`) });
    return `built ${stale.join(', ')}`;
  });

  if (ifNeeded && buildUpToDate()) {
    await step('build', () => Promise.resolve('already up to date'));
  } else {
    // Fingerprint before building: a source edited during the build then triggers the next rebuild.
    const fingerprint = buildFingerprint();
    await step('TypeScript (tsc)', compile);
    await step('workflow bundle', async () => `${path.relative(ROOT, await bundleWorkflows())} written`);
    await step('policies (opa test + WebAssembly)', async () => {
      const wasm = await buildPolicies({ log: (line) => console.log(`    ${line}`) });
      return `${path.relative(ROOT, wasm)} written`;
    });
    await writeFile(BUILD_STAMP, fingerprint);
  }
  console.log(`setup done in ${((performance.now() - started) / 1000).toFixed(1)}s`);
}

main().catch((error: unknown) => {
  console.error(`setup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
