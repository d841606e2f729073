/**
 * Builds OpenTofu, OPA, Prometheus and the Terraform providers from the Go module proxy into the tools directory,
 * pinned by the modules in scripts/tools/ (one module per tool so each keeps exactly the dependency
 * versions its release was built with; a shared module would raise ~70 of OpenTofu's and lose its HCL
 * fork). Providers land in a filesystem mirror that `tofu init` uses without network.
 * Idempotent: a tool whose stamp matches its inputs (pin, go.mod/go.sum, flags) is skipped.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolsDir } from '../lib/config.js';
import { DharmaError, ToolMissing } from '../lib/errors.js';
import { packageRoot } from '../lib/package-root.js';
import { MIRROR_HOSTS, OPA_VERSION, PINNED_PROVIDERS, TOFU_VERSION } from '../lib/tofu-tools.js';

/**
 * Prometheus 3.16.0, published to the module proxy as v0.316.0 (scripts/tools/prometheus/go.mod). The tests
 * of the prometheus and metric-normal probes query it for real; it is not part of the platform itself.
 */
export const PROMETHEUS_VERSION = '3.16.0';

export function prometheusBinary(dir: string = toolsDir()): string {
  return path.join(dir, 'bin', 'prometheus');
}

const TOOLS_MODULES = path.join(packageRoot(), 'scripts', 'tools');

export interface GoToolsOptions {
  /** Absolute tools directory (`.tools`). */
  toolsDir: string;
  log: (line: string) => void;
}

interface GoTool {
  readonly name: string;
  readonly version: string;
  /** Module directory under scripts/tools/. */
  readonly module: string;
  /** Package to build, relative to that module (`.` for the module's own main package). */
  readonly pkg: string;
  readonly ldflags: string;
  /** Build tags (comma-separated), if any. */
  readonly tags?: string;
  output(toolsDir: string, platform: string): string;
  /** Command whose output must contain `version` once built. */
  readonly versionArgs?: readonly string[];
}

/**
 * Where each mirrored provider is built: hashicorp/time from the module cache (the module requires the
 * release the proxy serves), dharma from our own source in scripts/tools/terraform-provider-dharma.
 */
const PROVIDER_BUILDS: Readonly<Record<string, { module: string; pkg: string }>> = {
  time: { module: path.join('providers', 'time'), pkg: 'github.com/hashicorp/terraform-provider-time' },
  dharma: { module: 'terraform-provider-dharma', pkg: '.' },
};

function providerBuild(type: string): { module: string; pkg: string } {
  const build = PROVIDER_BUILDS[type];
  if (!build) throw new DharmaError(`no build recipe for pinned provider ${type} in scripts/go-tools.ts`);
  return build;
}

export const GO_TOOLS: readonly GoTool[] = [
  {
    name: 'tofu',
    version: TOFU_VERSION,
    module: 'tofu',
    pkg: 'github.com/opentofu/opentofu/cmd/tofu',
    ldflags: '-s -w -X github.com/opentofu/opentofu/version.dev=no',
    output: (dir) => path.join(dir, 'bin', 'tofu'),
    versionArgs: ['version'],
  },
  {
    name: 'opa',
    version: OPA_VERSION,
    module: 'opa',
    pkg: 'github.com/open-policy-agent/opa',
    ldflags: '-s -w',
    output: (dir) => path.join(dir, 'bin', 'opa'),
    versionArgs: ['version'],
  },
  {
    name: 'prometheus',
    version: PROMETHEUS_VERSION,
    module: 'prometheus',
    pkg: 'github.com/prometheus/prometheus/cmd/prometheus',
    // Without the service-discovery plugins (cloud SDKs) the build takes half the time: ~2.5 min on 2 cores.
    tags: 'remove_all_sd',
    ldflags: `-s -w -X github.com/prometheus/common/version.Version=${PROMETHEUS_VERSION}`,
    output: (dir) => prometheusBinary(dir),
    versionArgs: ['--version'],
  },
  ...PINNED_PROVIDERS.map((p): GoTool => ({
    name: `${p.namespace}/${p.type}`,
    version: p.version,
    ...providerBuild(p.type),
    ldflags: '-s -w',
    output: (dir, platform) =>
      path.join(
        mirrorRoot(dir),
        MIRROR_HOSTS[0],
        p.namespace,
        p.type,
        p.version,
        platform,
        `terraform-provider-${p.type}`,
      ),
  })),
];

export function mirrorRoot(toolsDir: string): string {
  return path.join(toolsDir, 'tofu-mirror');
}

interface Run {
  code: number;
  output: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'ENOENT' ? new ToolMissing(command, `install Go 1.26+ and put it on PATH`) : error,
      ),
    );
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/**
 * GOTOOLCHAIN=auto lets a go.mod that asks for a newer Go fetch that toolchain from the proxy;
 * -mod=readonly keeps the pinned go.sum authoritative; no VCS stamping (our provider's source sits in our repo).
 */
function goEnv(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'auto', GOFLAGS: '-mod=readonly -buildvcs=false' };
}

async function goPlatform(): Promise<string> {
  const result = await run('go', ['env', 'GOOS', 'GOARCH'], TOOLS_MODULES, goEnv());
  if (result.code !== 0) throw new DharmaError(`go env failed:\n${result.output}`);
  const [goos, goarch] = result.output.trim().split('\n');
  return `${goos}_${goarch}`;
}

/** Everything that decides a tool's binary; a change rebuilds it. */
function fingerprint(tool: GoTool, platform: string): string {
  // Tags join the hash only when set, so adding the field did not invalidate the stamps of untagged tools.
  const inputs = [tool.version, tool.pkg, tool.ldflags, platform, ...(tool.tags ? [tool.tags] : [])];
  const hash = createHash('sha256').update(JSON.stringify(inputs));
  const dir = path.join(TOOLS_MODULES, tool.module);
  for (const file of moduleFiles(dir)) hash.update(file).update(readFileSync(path.join(dir, file)));
  return hash.digest('hex');
}

function moduleFiles(dir: string, prefix = ''): string[] {
  return readdirSync(path.join(dir, prefix), { withFileTypes: true })
    .flatMap((e) => {
      const rel = path.join(prefix, e.name);
      if (e.isDirectory()) return moduleFiles(dir, rel);
      return /\.(go|mod|sum)$/.test(e.name) ? [rel] : [];
    })
    .sort();
}

function stampFile(toolsDir: string, tool: GoTool): string {
  return path.join(toolsDir, 'stamps', `go-${tool.name.replace('/', '-')}.sha256`);
}

function upToDate(toolsDir: string, tool: GoTool, platform: string): boolean {
  const stamp = stampFile(toolsDir, tool);
  return (
    existsSync(tool.output(toolsDir, platform)) &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === fingerprint(tool, platform)
  );
}

/** Names of the Go tools that are missing or stale (for `setup --if-needed`). */
export async function staleGoTools(toolsDir: string): Promise<string[]> {
  const platform = await goPlatform();
  return GO_TOOLS.filter((t) => !upToDate(toolsDir, t, platform)).map((t) => t.name);
}

function seconds(since: number): string {
  return `${((Date.now() - since) / 1000).toFixed(1)}s`;
}

function mebibytes(file: string): string {
  return `${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB`;
}

async function buildTool(tool: GoTool, opts: GoToolsOptions, platform: string): Promise<void> {
  const out = tool.output(opts.toolsDir, platform);
  if (upToDate(opts.toolsDir, tool, platform)) {
    opts.log(`${tool.name} ${tool.version}: up to date (${out})`);
    return;
  }
  const started = Date.now();
  opts.log(`${tool.name} ${tool.version}: go build in scripts/tools/${tool.module} ...`);
  await mkdir(path.dirname(out), { recursive: true });
  const tags = tool.tags ? [`-tags=${tool.tags}`] : [];
  const args = ['build', '-trimpath', ...tags, `-ldflags=${tool.ldflags}`, '-o', out, tool.pkg];
  const built = await run('go', args, path.join(TOOLS_MODULES, tool.module), goEnv());
  if (built.code !== 0)
    throw new DharmaError(`go ${args.join(' ')} failed for ${tool.name}:\n${built.output}`);
  if (tool.versionArgs) {
    const check = await run(out, tool.versionArgs, opts.toolsDir, { ...process.env, TF_CLI_CONFIG_FILE: '' });
    if (!check.output.includes(tool.version)) {
      throw new DharmaError(
        `${out} ${tool.versionArgs.join(' ')} does not report ${tool.version}:\n${check.output}`,
      );
    }
  }
  await mkdir(path.dirname(stampFile(opts.toolsDir, tool)), { recursive: true });
  await writeFile(stampFile(opts.toolsDir, tool), fingerprint(tool, platform));
  opts.log(`${tool.name} ${tool.version}: built in ${seconds(started)} (${mebibytes(out)})`);
}

/**
 * The CLI config that makes tofu (or terraform) install providers only from the mirror: no `direct`
 * block, so a provider or version that is not mirrored fails `init` instead of reaching the network.
 */
async function writeCliConfig(toolsDir: string): Promise<string> {
  const mirror = mirrorRoot(toolsDir);
  // Terraform asks for registry.terraform.io addresses; the same unpacked providers serve both.
  const alias = path.join(mirror, MIRROR_HOSTS[1]);
  await rm(alias, { force: true });
  await symlink(MIRROR_HOSTS[0], alias);
  const include = MIRROR_HOSTS.map((host) => JSON.stringify(`${host}/*/*`)).join(', ');
  const file = path.join(toolsDir, 'tofu.rc');
  await writeFile(
    file,
    [
      '# Written by `npm run setup` (scripts/go-tools.ts): providers come only from the local mirror.',
      'disable_checkpoint = true',
      'provider_installation {',
      '  filesystem_mirror {',
      `    path    = ${JSON.stringify(mirror)}`,
      `    include = [${include}]`,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  return file;
}

/** Builds every pinned Go tool that is missing or stale, then (re)writes the tofu CLI config. */
export async function installGoTools(opts: GoToolsOptions): Promise<void> {
  const started = Date.now();
  const platform = await goPlatform();
  for (const tool of GO_TOOLS) await buildTool(tool, opts, platform);
  const config = await writeCliConfig(opts.toolsDir);
  opts.log(`tofu CLI config: ${config} (provider mirror ${mirrorRoot(opts.toolsDir)})`);
  opts.log(`Go tools ready in ${seconds(started)}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await installGoTools({ toolsDir: toolsDir(), log: (line) => console.log(line) });
}
