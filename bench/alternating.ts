import { emptySample, type Sample, type Starter } from './load.js';
import { summarize, type LatencySummary } from './stats.js';

/** How one batch of `count` starts is driven (closed loop, paced, ...), adding to `into`. */
export type Driver = (start: Starter, count: number, into: Sample) => Promise<void>;

export interface Comparison {
  first: LatencySummary;
  second: LatencySummary;
  /** CPU time this process spent driving each path (its client's share of the work). */
  clientCpuMs: [number, number];
  firstError?: string;
}

/**
 * `count` starts through each of two paths in alternating batches, swapping which goes first every
 * round, so drift in the machine's other load (other processes, a worker's backlog) hits both alike.
 */
export async function alternating(
  first: Starter,
  second: Starter,
  count: number,
  batch: number,
  drive: Driver,
): Promise<Comparison> {
  const samples = [emptySample(), emptySample()] as const;
  const cpuMs: [number, number] = [0, 0];
  for (let done = 0, round = 0; done < count; done += batch, round += 1) {
    const size = Math.min(batch, count - done);
    const sides: Array<[Starter, Sample, 0 | 1]> = [
      [first, samples[0], 0],
      [second, samples[1], 1],
    ];
    for (const [start, sample, side] of round % 2 === 0 ? sides : sides.reverse()) {
      const before = process.cpuUsage();
      await drive(start, size, sample);
      const used = process.cpuUsage(before);
      cpuMs[side] += (used.user + used.system) / 1000;
    }
  }
  const [a, b] = samples.map((s) => summarize(s.latenciesMs, s.errors, s.busyMs));
  const firstError = samples[0].firstError ?? samples[1].firstError;
  return { first: a!, second: b!, clientCpuMs: cpuMs, ...(firstError ? { firstError } : {}) };
}
