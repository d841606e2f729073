import { table } from '../cli/output.js';
import type { InferenceFigures } from './alert-ml.js';
import type { StormResult } from './alert-storm.js';
import type { Comparison } from './alternating.js';
import type { CpuShares } from './cpu-shares.js';
import type { Memory } from './processes.js';
import type { LatencySummary } from './stats.js';

const TARGET_ALERTS_PER_SECOND = 1000;
const TARGET_P99_RATIO = 1.2;
const TARGET_PEAK_RSS = 512 * 1024 ** 2;
const TARGET_INFERENCE_P99_MS = 1;

export interface AlertFigures {
  setup: string;
  concurrency: number;
  /** Closed loop at `concurrency`: the most each path sustains. */
  saturated: Comparison;
  /** Open loop at `pacedRate` alerts/s on each path. */
  paced: Comparison;
  pacedRate: number;
  /** CPU of the API process per webhook alert in the saturated phase. */
  apiCpuMsPerAlert: number;
  storm: StormResult & { notifications: number; fingerprints: number; perRequest: number };
  memory: { api: Memory; worker: Memory };
  /** Where the CPU went while the storm was being accepted. */
  stormCpu?: CpuShares;
  ml: InferenceFigures;
}

const ms = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');
const mib = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const seconds = (v: number) => `${(v / 1000).toFixed(1)} s`;

/** The two paths side by side, with the webhook's ratio to the direct client per column. */
function comparisonTable(c: Comparison, clientCpu: [string, string]): string {
  const row = (name: string, s: LatencySummary, cpu: string) => [
    name,
    s.count,
    s.errors,
    s.throughput.toFixed(0),
    ms(s.p50),
    ms(s.p99),
    ms(s.mean),
    ms(s.max),
    cpu,
  ];
  const { first: webhook, second: direct, reference } = c;
  const ratios = (name: string, s: LatencySummary) => [
    name,
    '',
    '',
    ratio(s.throughput, direct.throughput),
    ratio(s.p50, direct.p50),
    ratio(s.p99, direct.p99),
    ratio(s.mean, direct.mean),
    ratio(s.max, direct.max),
    '',
  ];
  return table(
    ['Path', 'Alerts', 'Errors', 'alerts/s', 'p50 ms', 'p99 ms', 'mean ms', 'max ms', 'CPU ms/alert'],
    [
      row('POST /v1/webhooks/alertmanager', webhook, clientCpu[0]),
      row('client.workflow.signalWithStart', direct, clientCpu[1]),
      ...(reference ? [row('reference: bare node:http relay', reference, '')] : []),
      ratios('webhook / direct', webhook),
      ...(reference ? [ratios('reference relay / direct', reference)] : []),
    ],
  );
}

function cpuLine({ wallMs, cores, byProcess }: CpuShares): string {
  const offered = wallMs * cores;
  const used = byProcess.reduce((sum, [, cpuMs]) => sum + (Number.isFinite(cpuMs) ? cpuMs : 0), 0);
  const parts = byProcess.map(([name, cpuMs]) =>
    Number.isFinite(cpuMs)
      ? `${name} ${seconds(cpuMs)} (${((cpuMs / offered) * 100).toFixed(0)}%)`
      : `${name} -`,
  );
  return (
    `CPU while the storm was accepted (${seconds(wallMs)} × ${cores} cores = ${seconds(offered)}): ` +
    `${parts.join(', ')}; ${((used / offered) * 100).toFixed(0)}% of the machine in all`
  );
}

function verdicts(f: AlertFigures): string {
  const { storm } = f;
  const lost = storm.notifications - Math.min(storm.countedInTable, storm.countedInWorkflows);
  const p99Ratio = (c: Comparison) => c.first.p99 / c.second.p99;
  const rows: Array<[string, string, string, boolean | undefined]> = [
    [
      'ingestion alerts/s (a new fingerprint per request)',
      `${f.saturated.first.throughput.toFixed(0)} (direct: ${f.saturated.second.throughput.toFixed(0)})`,
      `>= ${TARGET_ALERTS_PER_SECOND}`,
      f.saturated.first.throughput >= TARGET_ALERTS_PER_SECOND,
    ],
    [
      'storm alerts/s (20 per request, 10 per fingerprint)',
      ((storm.notifications / storm.acceptedMs) * 1000).toFixed(0),
      `>= ${TARGET_ALERTS_PER_SECOND}`,
      (storm.notifications / storm.acceptedMs) * 1000 >= TARGET_ALERTS_PER_SECOND,
    ],
    [
      `p99 webhook / direct, saturated (concurrency ${f.concurrency})`,
      ratio(f.saturated.first.p99, f.saturated.second.p99),
      `<= ${TARGET_P99_RATIO}x`,
      p99Ratio(f.saturated) <= TARGET_P99_RATIO,
    ],
    [
      `p99 webhook / direct, paced (${f.pacedRate} alerts/s each)`,
      ratio(f.paced.first.p99, f.paced.second.p99),
      `<= ${TARGET_P99_RATIO}x`,
      p99Ratio(f.paced) <= TARGET_P99_RATIO,
    ],
    [
      'storm: workflows created',
      `${storm.workflows} (incidents: ${storm.incidents})`,
      `= ${storm.fingerprints}`,
      storm.workflows === storm.fingerprints && storm.incidents === storm.fingerprints,
    ],
    ['storm: notifications lost', String(lost), '0', lost === 0 && storm.requests.errors === 0],
    [
      'API process peak RSS',
      mib(f.memory.api.peakBytes),
      `<= ${mib(TARGET_PEAK_RSS)}`,
      f.memory.api.peakBytes <= TARGET_PEAK_RSS,
    ],
    [
      'orchestration worker peak RSS',
      mib(f.memory.worker.peakBytes),
      `<= ${mib(TARGET_PEAK_RSS)}`,
      f.memory.worker.peakBytes <= TARGET_PEAK_RSS,
    ],
    ...(
      [
        ['alert-classifier inference p99', f.ml.classifierP99Ms],
        ['metric-anomaly inference p99', f.ml.anomalyP99Ms],
      ] as const
    ).map(([name, p99]): [string, string, string, boolean | undefined] => [
      name,
      p99 === undefined ? '-' : `${p99.toFixed(3)} ms`,
      `< ${TARGET_INFERENCE_P99_MS} ms`,
      p99 === undefined ? undefined : p99 < TARGET_INFERENCE_P99_MS,
    ]),
  ];
  return table(
    ['Target (issue 5)', 'Measured', 'Goal', 'Verdict'],
    rows.map(([name, measured, goal, pass]) => [
      name,
      measured,
      goal,
      pass === undefined ? 'NOT MEASURED' : pass ? 'PASS' : 'FAIL',
    ]),
  );
}

export function printAlertReport(f: AlertFigures): void {
  const perAlert = (cpuMs: number, s: LatencySummary) => (cpuMs / Math.max(1, s.count)).toFixed(2);
  const { storm } = f;
  console.log(`\n${f.setup}\n`);
  console.log(
    `Storm: ${storm.notifications} notifications over ${storm.fingerprints} fingerprints, ${storm.perRequest} per ` +
      `request: ${storm.requests.count} requests accepted, ${storm.requests.errors} failed` +
      `${storm.firstError ? ` (first: ${storm.firstError})` : ''}, all accepted in ${seconds(storm.acceptedMs)} ` +
      `(request p99 ${ms(storm.requests.p99)} ms), all counted by the workflows in ${seconds(storm.wallMs)}`,
  );
  console.log(
    table(
      [
        'workflows (visibility)',
        'incidents (rows)',
        'counted in incidents table',
        'counted in workflow state',
      ],
      [[storm.workflows, storm.incidents, storm.countedInTable, storm.countedInWorkflows]],
    ),
  );
  if (f.stormCpu) console.log(cpuLine(f.stormCpu));
  console.log(
    `Peak RSS from start to the end of the storm (VmHWM): API ${mib(f.memory.api.peakBytes)}, orchestration ` +
      `worker ${mib(f.memory.worker.peakBytes)}`,
  );
  console.log(`\nIngestion, paced: ${f.pacedRate} alerts/s offered to each path in turn (open loop)`);
  console.log(
    comparisonTable(f.paced, [
      perAlert(f.paced.clientCpuMs[0], f.paced.first),
      perAlert(f.paced.clientCpuMs[1], f.paced.second),
    ]),
  );
  console.log(
    `\nIngestion, saturated: closed loop, ${f.concurrency} in flight on each path, a new fingerprint per alert`,
  );
  console.log(
    comparisonTable(f.saturated, [
      `${perAlert(f.saturated.clientCpuMs[0], f.saturated.first)} client + ${f.apiCpuMsPerAlert.toFixed(2)} API`,
      `${perAlert(f.saturated.clientCpuMs[1], f.saturated.second)} client`,
    ]),
  );
  console.log(`\n${f.ml.report}`);
  console.log(`\n${verdicts(f)}`);
  const floor = (c: Comparison) => (c.reference ? ratio(c.reference.p99, c.second.p99) : '-');
  console.log(
    `Yardstick: a bare node:http relay in its own process (no framework, no auth, no validation) measures ` +
      `${floor(f.paced)} the direct client's p99 paced and ${floor(f.saturated)} saturated: ` +
      `what any webhook in front of Temporal costs on this machine before its own work.`,
  );
}
