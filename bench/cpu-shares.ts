import { availableParallelism } from 'node:os';
import type { BenchPlatform } from './platform.js';
import { cpuMsOf, listeningPid, treeCpuMs } from './processes.js';

/** CPU each process spent over a phase of `wallMs` on a machine of `cores`. */
export interface CpuShares {
  wallMs: number;
  cores: number;
  byProcess: Array<[name: string, cpuMs: number]>;
}

/**
 * CPU time each process of the stack spends between `begin` and `end` (process trees: PostgreSQL's
 * backends count), against what the cores × the wall time offer: where an intake limit comes from.
 */
export async function cpuShares(platform: BenchPlatform, dharma: Record<string, number | undefined>) {
  const portOf = (url: string) => Number(new URL(url.includes('://') ? url : `grpc://${url}`).port);
  const trees: Record<string, number | undefined> = {
    'Temporal dev server': await listeningPid(portOf(platform.services.temporalAddress)),
    PostgreSQL: await listeningPid(portOf(platform.services.databaseUrl)),
    ...dharma,
  };
  // This process is the parent of all the others: its own time only.
  const sample = async (): Promise<Record<string, number>> => ({
    ...Object.fromEntries(
      await Promise.all(
        Object.entries(trees).map(
          async ([name, pid]) => [name, pid ? await treeCpuMs(pid) : Number.NaN] as const,
        ),
      ),
    ),
    'benchmark client': await cpuMsOf(process.pid),
  });
  let before: Record<string, number> = {};
  let began = 0;
  let shares: CpuShares | undefined;
  return {
    begin: async () => {
      before = await sample();
      began = performance.now();
    },
    end: async () => {
      const wallMs = performance.now() - began;
      const after = await sample();
      shares = {
        wallMs,
        cores: availableParallelism(),
        byProcess: Object.entries(after).map(([name, ms]) => [name, ms - (before[name] ?? 0)]),
      };
    },
    result: () => shares,
  };
}
