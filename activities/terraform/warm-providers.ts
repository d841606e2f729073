import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Logger } from '../../lib/logger.js';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import { installedProviders, ProviderServer } from './provider-server.js';

/**
 * What a tofu run needs from the pool: the data dir `tofu init` prepared (which providers, which
 * binaries) and the environment tofu would give the plugins it starts itself.
 */
export interface ProviderSet {
  dataDir: string;
  env: Record<string, string>;
  /**
   * What the packages the data dir links to looked like (InitializedDir.packages): servers started from a
   * provider since rebuilt in the mirror are not handed out.
   */
  packages?: string;
}

/** A run's own directory and, when they could be had, provider servers started in it for it alone. */
export interface ProviderLease {
  /** The run's working directory (the providers' working directory too); removed on release. */
  dir: string;
  /** TF_REATTACH_PROVIDERS for every tofu command of the run; empty when tofu starts its providers itself. */
  env: Record<string, string>;
  release(): Promise<void>;
}

export interface WarmProviderOptions {
  /** Idle sets kept ready per provider set (at least 1). */
  stock: number;
  /** An idle set unused this long (ms) is stopped. */
  idleMs: number;
  logger: Logger;
}

/** Provider servers started together in one directory, for one run. */
interface WarmSet {
  dir: string;
  servers: ProviderServer[];
}

interface Idle {
  set: Promise<WarmSet | undefined>;
  since: number;
}

const live = new Set<ProviderServer>();
// The last resort where setpriv cannot tie the plugins to the worker: a normal exit still stops them.
process.once('exit', () => {
  for (const server of live) server.kill();
});

/**
 * Provider plugin servers for tofu runs, started before the run needs them. Left to itself, every tofu
 * command starts each provider two or three times (schemas, validation, the walk), about 30 ms a round
 * on a small machine, more than the work itself on a quick stack. A run here gets its own servers, in
 * its own directory, and every command of the run reattaches to them (TF_REATTACH_PROVIDERS).
 *
 * Isolation is the same as tofu's own: a set serves exactly one run (one activity) and is killed
 * afterwards, so nothing a run configured (credentials, a database connection) ever reaches another,
 * and a run's plugins see the environment and working directory tofu would have given them. Synthesis
 * writes one configuration per provider (no aliases), the case a reattached plugin serves as tofu's own.
 */
export class WarmProviders {
  private readonly idle = new Map<string, Idle[]>();
  private readonly leased = new Set<WarmSet>();
  /** Provider sets that could not be served this way: tofu starts them, without a retry per run. */
  private readonly unservable = new Set<string>();
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;

  constructor(private readonly options: WarmProviderOptions) {
    this.sweeper = setInterval(() => void this.sweep(), Math.min(options.idleMs, 60_000));
    this.sweeper.unref();
  }

  /**
   * A directory and provider servers for one run: a ready set when there is one, else one started now.
   * Never fails: when the plugins cannot be started, the run gets only its directory and tofu starts them.
   */
  async lease(providers: ProviderSet): Promise<ProviderLease> {
    const key = setKey(providers);
    let set: WarmSet | undefined;
    for (let ready = this.idle.get(key)?.shift(); ready && !set; ready = this.idle.get(key)?.shift()) {
      const candidate = await ready.set;
      if (candidate && (await Promise.all(candidate.servers.map((s) => s.answers()))).every(Boolean))
        set = candidate;
      else if (candidate) await this.stopSet(candidate);
    }
    if (!set && !this.closed && !this.unservable.has(key)) set = await this.start(key, providers);
    if (!set) return plainLease();
    const taken = set;
    this.leased.add(taken);
    return {
      dir: taken.dir,
      env: { TF_REATTACH_PROVIDERS: reattachValue(taken.servers) },
      release: async () => {
        this.leased.delete(taken);
        await this.stopSet(taken);
        this.restock(key, providers);
      },
    };
  }

  /** Resolves once every set being started for later runs is ready (or failed). */
  async ready(): Promise<void> {
    await Promise.all([...this.idle.values()].flat().map((i) => i.set));
  }

  /** Stops every idle set and every leased one; later leases get no servers. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const idle = [...this.idle.values()].flat();
    this.idle.clear();
    const sets = await Promise.all(idle.map((i) => i.set));
    await Promise.all([...sets, ...this.leased].map((set) => (set ? this.stopSet(set) : Promise.resolve())));
  }

  private restock(key: string, providers: ProviderSet): void {
    if (this.closed || this.unservable.has(key)) return;
    const ready = this.idle.get(key) ?? [];
    if (ready.length >= this.options.stock) return;
    ready.push({ set: this.start(key, providers), since: Date.now() });
    this.idle.set(key, ready);
  }

  private async start(key: string, providers: ProviderSet): Promise<WarmSet | undefined> {
    // mkdtemp makes it 0700: the plugins' sockets in it are reachable by this user only.
    const dir = await mkdtemp(path.join(tmpdir(), 'dharma-tf-'));
    const started = await Promise.allSettled(
      (await installedProviders(providers.dataDir)).map((p) => ProviderServer.start(p, dir, providers.env)),
    );
    const servers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    for (const server of servers) live.add(server);
    const set = { dir, servers };
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed || servers.length === 0) {
      // One missing server would make tofu start that provider itself anyway: all or none.
      this.unservable.add(key);
      if (failed)
        this.options.logger.warn(
          { err: failed.reason, dataDir: providers.dataDir },
          'tofu runs with these providers start them themselves',
        );
      await this.stopSet(set);
      return undefined;
    }
    return set;
  }

  private async stopSet(set: WarmSet): Promise<void> {
    await Promise.all(set.servers.map((s) => s.stop().finally(() => live.delete(s))));
    await rm(set.dir, { recursive: true, force: true });
  }

  /** Stops the ready sets idle for idleMs at `now`; runs on a timer. */
  async sweep(now = Date.now()): Promise<void> {
    for (const [key, ready] of this.idle) {
      const expired = ready.filter((i) => now - i.since >= this.options.idleMs);
      if (expired.length === 0) continue;
      this.idle.set(
        key,
        ready.filter((i) => !expired.includes(i)),
      );
      for (const { set } of expired) {
        const stale = await set;
        if (stale) await this.stopSet(stale);
      }
    }
  }
}

/** A fresh directory of its own and no provider servers: tofu starts its providers itself. */
export async function plainLease(): Promise<ProviderLease> {
  const dir = await mkdtemp(path.join(tmpdir(), 'dharma-tf-'));
  return { dir, env: {}, release: () => rm(dir, { recursive: true, force: true }) };
}

function reattachValue(servers: readonly ProviderServer[]): string {
  return JSON.stringify(Object.fromEntries(servers.map((s) => [s.address, s.reattach])));
}

/** Sets are interchangeable when the same plugins would get the same environment. */
function setKey(providers: ProviderSet): string {
  return createHash('sha256').update(canonicalJson(providers)).digest('hex');
}
