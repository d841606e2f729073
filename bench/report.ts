import { table } from '../cli/output.js';
import type { Memory } from './processes.js';
import type { LatencySummary } from './stats.js';

export const TARGET_P99_RATIO = 1.2;
export const TARGET_MEMORY_BYTES = 1024 ** 3;

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;

export function latencyReport(api: LatencySummary, direct: LatencySummary): string {
  const row = (name: string, s: LatencySummary) => [
    name,
    s.count,
    s.errors,
    ms(s.p50),
    ms(s.p99),
    ms(s.mean),
    ms(s.max),
    s.throughput.toFixed(1),
  ];
  const ratio = api.p99 / direct.p99;
  const verdict = ratio <= TARGET_P99_RATIO ? 'target met' : 'TARGET MISSED';
  return [
    table(
      ['Start path', 'Starts', 'Errors', 'p50 ms', 'p99 ms', 'mean ms', 'max ms', 'starts/s'],
      [row('POST /v1/runs (API)', api), row('client.workflow.start (direct)', direct)],
    ),
    `p99 ratio API/direct: ${ratio.toFixed(2)}x (target <= ${TARGET_P99_RATIO}x: ${verdict}); ` +
      `p50 ratio ${(api.p50 / direct.p50).toFixed(2)}x; throughput ratio ${(api.throughput / direct.throughput).toFixed(2)}x`,
  ].join('\n');
}

export function memoryReport(rows: Array<{ label: string; pid: number; memory: Memory }>): string {
  const total = rows.reduce((sum, r) => sum + r.memory.rssBytes, 0);
  const verdict = total < TARGET_MEMORY_BYTES ? 'target met' : 'TARGET MISSED';
  return [
    table(
      ['Dharma process', 'PID', 'RSS', 'Peak RSS'],
      [
        ...rows.map((r) => [r.label, r.pid, mib(r.memory.rssBytes), mib(r.memory.peakBytes)]),
        ['total', '', mib(total), ''],
      ],
    ),
    `all Dharma processes: ${mib(total)} (target < 1 GiB, Temporal and PostgreSQL excluded: ${verdict})`,
  ].join('\n');
}
