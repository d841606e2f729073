import { emptySample, type Sample, type Starter } from './load.js';
import { summarize, type LatencySummary } from './stats.js';

/** How one batch of `count` starts is driven (closed loop, paced, ...), adding to `into`. */
export type Driver = (start: Starter, count: number, into: Sample) => Promise<void>;

export interface Comparison {
  first: LatencySummary;
  second: LatencySummary;
  /** A third path measured alongside as a yardstick, when one was given. */
  reference?: LatencySummary;
  /** CPU time this process spent driving the first and second path (its client's share of the work). */
  clientCpuMs: [number, number];
  firstError?: string;
}

export interface Paths {
  first: Starter;
  second: Starter;
  reference?: Starter;
}

/**
 * `count` starts through each path in batches taking turns, the order rotating every round, so drift in
 * the machine's other load (other processes, a worker's backlog) hits every path alike.
 */
export async function alternating(
  paths: Paths,
  count: number,
  batch: number,
  drive: Driver,
): Promise<Comparison> {
  const sides = [paths.first, paths.second, ...(paths.reference ? [paths.reference] : [])].map((start) => ({
    start,
    sample: emptySample(),
    cpuMs: 0,
  }));
  for (let done = 0, round = 0; done < count; done += batch, round += 1) {
    const size = Math.min(batch, count - done);
    const turn = round % sides.length;
    for (const side of [...sides.slice(turn), ...sides.slice(0, turn)]) {
      const before = process.cpuUsage();
      await drive(side.start, size, side.sample);
      const used = process.cpuUsage(before);
      side.cpuMs += (used.user + used.system) / 1000;
    }
  }
  const [a, b, reference] = sides.map(({ sample }) =>
    summarize(sample.latenciesMs, sample.errors, sample.busyMs),
  );
  const firstError = sides.map(({ sample }) => sample.firstError).find((e) => e !== undefined);
  return {
    first: a!,
    second: b!,
    ...(reference ? { reference } : {}),
    clientCpuMs: [sides[0]!.cpuMs, sides[1]!.cpuMs],
    ...(firstError ? { firstError } : {}),
  };
}
