/** Latency summary of one side of the benchmark. */
export interface LatencySummary {
  count: number;
  errors: number;
  p50: number;
  p99: number;
  mean: number;
  max: number;
  /** Starts per second over the time this side's batches ran. */
  throughput: number;
}

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

export function summarize(latenciesMs: readonly number[], errors: number, busyMs: number): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  const total = sorted.reduce((sum, v) => sum + v, 0);
  return {
    count: sorted.length,
    errors,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean: sorted.length > 0 ? total / sorted.length : Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    throughput: busyMs > 0 ? (sorted.length / busyMs) * 1000 : 0,
  };
}
