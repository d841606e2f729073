import pg from 'pg';
import { POOLS, taskQueueFor, type PoolName } from '../pools.js';
import { desiredReplicas, REPLICAS_CHANNEL, tryLockSupervisor } from './replica-store.js';
import type { SupervisedProcess } from './supervised-process.js';

export interface ReplicaSupervisorOptions {
  databaseUrl: string;
  /** Task queue prefix of the installation whose replicas this supervisor runs. */
  prefix: string;
  /** A supervised `dharma worker --pool <pool>` process, not started yet. */
  createReplica(pool: PoolName, name: string): SupervisedProcess;
  onLine(line: string): void;
  /** Re-read interval besides LISTEN: notifications sent while the connection was down are lost (default 5 s). */
  pollMs?: number;
}

export interface ReplicaSupervisor {
  /** Running extra replicas of each pool that has any. */
  counts(): Partial<Record<PoolName, number>>;
  /** Pids of the running replicas of `pool`, oldest first. */
  pids(pool: PoolName): number[];
  /** Stops every replica gracefully (they drain like the main workers) and releases the lock. */
  stop(): Promise<void>;
  /** Last resort on a second Ctrl-C. */
  kill(): void;
}

const APPLICATION_NAME = 'dharma-replica-supervisor';

interface Replica {
  name: string;
  child: SupervisedProcess;
}

/**
 * Runs the extra worker processes that worker_replicas asks for: LISTENs for changes, re-reads every
 * `pollMs`, spawns missing replicas and stops surplus ones (newest first, draining in the background so a
 * long drain never delays the next scale-up). Only the holder of the installation's advisory lock acts,
 * so two supervisors on one database never double the replicas; the lock also tells scaleWorkerPool that
 * someone will act on its request.
 */
export async function startReplicaSupervisor(opts: ReplicaSupervisorOptions): Promise<ReplicaSupervisor> {
  const queues = new Map(POOLS.map((pool) => [taskQueueFor(pool, opts.prefix), pool]));
  const orchestrationQueue = taskQueueFor('orchestration', opts.prefix);
  const running = new Map<PoolName, Replica[]>(POOLS.map((pool) => [pool, []]));
  const draining = new Map<SupervisedProcess, Promise<void>>();
  let client: pg.Client | undefined;
  let managing: boolean | undefined;
  let stopped = false;
  const log = (line: string) => opts.onLine(`[replicas] ${line}`);

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: opts.databaseUrl, application_name: APPLICATION_NAME });
    const lost = (why: string) => {
      if (client !== next) return;
      log(`database connection lost (${why}); reconnecting`);
      client = undefined;
    };
    next.on('error', (error) => lost(error.message));
    next.on('end', () => lost('closed'));
    next.on('notification', () => void reconcile());
    await next.connect();
    await next.query(`LISTEN ${REPLICAS_CHANNEL}`);
    client = next;
    await claim(next);
  }

  /** Takes (or keeps trying to take) the lock; a supervisor that lost it stops its replicas. */
  async function claim(session: pg.Client): Promise<void> {
    const locked = await tryLockSupervisor(session, orchestrationQueue);
    if (locked === managing) return;
    managing = locked;
    if (locked) {
      log(`managing the extra worker replicas of ${opts.prefix}`);
      return;
    }
    log(`another supervisor manages the extra worker replicas of ${opts.prefix}; standing by`);
    for (const list of running.values()) drain(list.splice(0));
  }

  function drain(replicas: Replica[]): void {
    for (const replica of replicas.reverse()) {
      draining.set(
        replica.child,
        replica.child.stop().finally(() => draining.delete(replica.child)),
      );
    }
  }

  function startReplica(pool: PoolName, list: Replica[]) {
    const taken = new Set(list.map((replica) => replica.name));
    let index = 1;
    while (taken.has(`${pool}#${index}`)) index += 1;
    const name = `${pool}#${index}`;
    const child = opts.createReplica(pool, name);
    child.start();
    list.push({ name, child });
  }

  async function converge(): Promise<void> {
    if (stopped) return;
    if (!client) await connect();
    // Standing by: the lock holder may go away, so try again on every round.
    else if (!managing) await claim(client);
    if (!managing || stopped || !client) return;
    const desired = await desiredReplicas(client, [...queues.keys()]);
    for (const [queue, want] of desired) {
      const pool = queues.get(queue)!;
      const list = running.get(pool)!;
      if (list.length === want) continue;
      log(`${pool}: ${list.length} → ${want} extra worker process(es)`);
      while (list.length < want) startReplica(pool, list);
      drain(list.splice(want));
    }
  }

  // One round at a time; calls while one runs share a single follow-up round that re-reads everything.
  let tail: Promise<void> = Promise.resolve();
  let queued: Promise<void> | undefined;
  function reconcile(): Promise<void> {
    if (!queued) {
      const round = tail.then(() => {
        queued = undefined;
        return converge();
      });
      queued = round;
      tail = round.catch((error: unknown) => {
        log(`could not reconcile: ${error instanceof Error ? error.message : String(error)}`);
        const session = client;
        client = undefined;
        void session?.end().catch(() => undefined);
      });
    }
    return queued;
  }

  await reconcile();
  const timer = setInterval(() => void reconcile().catch(() => undefined), opts.pollMs ?? 5000);
  timer.unref();

  const all = () => [...running.values()].flat();
  return {
    counts: () =>
      Object.fromEntries(
        [...running].filter(([, list]) => list.length > 0).map(([pool, list]) => [pool, list.length]),
      ),
    pids: (pool) => running.get(pool)!.flatMap((replica) => replica.child.pid ?? []),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await tail;
      const replicas = all();
      for (const list of running.values()) list.length = 0;
      await Promise.allSettled([...replicas.map((replica) => replica.child.stop()), ...draining.values()]);
      // Closing the session releases the advisory lock.
      const session = client;
      client = undefined;
      await session?.end().catch(() => undefined);
    },
    kill() {
      stopped = true;
      clearInterval(timer);
      for (const child of [...all().map((replica) => replica.child), ...draining.keys()]) child.kill();
    },
  };
}
