/** One way of starting a workflow; resolves once Temporal has accepted the start. */
export type Starter = (index: number) => Promise<void>;

export interface Sample {
  latenciesMs: number[];
  errors: number;
  busyMs: number;
  firstError?: string;
}

export function emptySample(): Sample {
  return { latenciesMs: [], errors: 0, busyMs: 0 };
}

/**
 * Runs `count` starts with at most `concurrency` in flight and adds their latencies to `into`. The
 * batch's wall time counts as busy time, so throughput compares like with like between the two sides.
 */
export async function runBatch(
  start: Starter,
  count: number,
  concurrency: number,
  into: Sample,
): Promise<void> {
  let next = 0;
  const began = performance.now();
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const t0 = performance.now();
      try {
        await start(index);
        into.latenciesMs.push(performance.now() - t0);
      } catch (error) {
        into.errors += 1;
        into.firstError ??= error instanceof Error ? error.message : String(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  into.busyMs += performance.now() - began;
}
