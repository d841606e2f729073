import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import { onPath } from '../../lib/tools.js';

/**
 * The handshake every provider plugin checks before serving (go-plugin's magic cookie, the same for
 * OpenTofu and Terraform): without it a provider binary only prints that it is a plugin and exits.
 */
const MAGIC_COOKIE = {
  TF_PLUGIN_MAGIC_COOKIE: 'd602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2',
  PLUGIN_PROTOCOL_VERSIONS: '5,6',
};

/** How long a provider gets to print its handshake line. */
export const PROVIDER_START_TIMEOUT_MS = 15_000;

/** One entry of TF_REATTACH_PROVIDERS, as tofu (and terraform) read it. */
export interface ReattachConfig {
  Protocol: 'grpc';
  ProtocolVersion: number;
  Pid: number;
  /** Tells tofu the process is not its own: it connects and disconnects, never kills it. */
  Test: true;
  Addr: { Network: string; String: string };
}

/** A provider plugin installed in an initialized data dir: its source address and executable. */
export interface InstalledProvider {
  /** e.g. registry.opentofu.org/hashicorp/time, the key tofu looks up in TF_REATTACH_PROVIDERS. */
  address: string;
  executable: string;
}

export class ProviderStartFailed extends Error {
  constructor(address: string, reason: string) {
    super(`provider ${address} did not start: ${reason}`);
  }
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name);
}

/**
 * The providers `tofu init` installed into a data dir, laid out as
 * `providers/<host>/<namespace>/<type>/<version>/<os_arch>/terraform-provider-<type>…`.
 */
export async function installedProviders(dataDir: string): Promise<InstalledProvider[]> {
  const found: InstalledProvider[] = [];
  // Directories only, followed through links (tofu links a mirror's platform directory into the data dir).
  const walk = async (dir: string, segments: string[]): Promise<void> => {
    if (segments.length < 5) {
      for (const name of await subdirs(dir)) await walk(path.join(dir, name), [...segments, name]);
      return;
    }
    const [host, namespace, type] = segments;
    const binary = (await readdir(dir).catch(() => [])).find((f) =>
      f.startsWith(`terraform-provider-${type}`),
    );
    if (binary) found.push({ address: `${host}/${namespace}/${type}`, executable: path.join(dir, binary) });
  };
  await walk(path.join(dataDir, 'providers'), []);
  return found;
}

/**
 * util-linux `setpriv`, when the host has it: started through it, a provider gets SIGKILL when the worker
 * dies, so a crashed worker leaves no plugin servers behind. Elsewhere the worker's exit hook stops them.
 */
const SETPRIV = onPath('setpriv');

/** A provider plugin server this worker started and owns; tofu runs connect to it by reattaching. */
export class ProviderServer {
  private constructor(
    readonly address: string,
    readonly reattach: ReattachConfig,
    private readonly child: ChildProcess,
  ) {}

  /**
   * Starts the plugin in `cwd` (its working directory is the one relative paths in the configuration
   * resolve against, as when tofu starts it in the run's directory) and waits for its handshake line
   * `core-version|protocol-version|network|address|grpc`. `cwd` must be private to the worker's user:
   * the plugin's socket goes there. (Tofu protects the plugins it starts with a client certificate;
   * these serve whoever can reach the socket, so nobody else may.)
   */
  static start(
    provider: InstalledProvider,
    cwd: string,
    env: Record<string, string>,
  ): Promise<ProviderServer> {
    const [command, args] = SETPRIV
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', provider.executable]]
      : [provider.executable, []];
    const child = spawn(command, args, {
      cwd,
      env: { ...env, ...MAGIC_COOKIE, PLUGIN_UNIX_SOCKET_DIR: cwd },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    // Drained for good: a full pipe would block the plugin.
    child.stderr?.on(
      'data',
      (chunk: Buffer) => void (stderr = (stderr + chunk.toString('utf8')).slice(-2000)),
    );
    return new Promise<ProviderServer>((resolve, reject) => {
      const fail = (reason: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        const said = stderr.trim().split('\n').slice(-3).join(' | ');
        reject(new ProviderStartFailed(provider.address, said ? `${reason}: ${said}` : reason));
      };
      const timer = setTimeout(
        () => fail(`no handshake within ${PROVIDER_START_TIMEOUT_MS} ms`),
        PROVIDER_START_TIMEOUT_MS,
      );
      child.once('error', (error) => fail(error.message));
      child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`})`));
      createInterface({ input: child.stdout }).once('line', (line) => {
        const [core, protocolVersion, network, address, protocol] = line.trim().split('|');
        const version = Number(protocolVersion);
        if (core !== '1' || protocol !== 'grpc' || !network || !address || !Number.isInteger(version)) {
          fail(`unexpected handshake "${line.slice(0, 200)}"`);
          return;
        }
        if (network !== 'unix' || path.dirname(address) !== cwd) {
          fail(`it listens on ${network} ${address}, not in its private directory (a go-plugin before 1.5?)`);
          return;
        }
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.removeAllListeners('error');
        child.on('error', () => undefined);
        child.stdout?.resume();
        resolve(
          new ProviderServer(
            provider.address,
            {
              Protocol: 'grpc',
              ProtocolVersion: version,
              Pid: child.pid!,
              Test: true,
              Addr: { Network: network, String: address },
            },
            child,
          ),
        );
      });
    });
  }

  /**
   * Whether it still serves: a connection to its address is accepted. (A plugin killed a moment ago may
   * not be reaped yet, and its unix socket outlives it.)
   */
  answers(): Promise<boolean> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve(false);
    const { Network, String: address } = this.reattach.Addr;
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      Number(address.slice(address.lastIndexOf(':') + 1)),
    ];
    return new Promise((resolve) => {
      const socket = Network === 'unix' ? connect({ path: address }) : connect({ host, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  /** Synchronous, for the process exit hook. */
  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** Kills it (whatever it was configured with dies with it) and removes its socket. */
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    // Killed plugins cannot remove their own unix socket.
    if (this.reattach.Addr.Network === 'unix') await rm(this.reattach.Addr.String, { force: true });
  }
}
