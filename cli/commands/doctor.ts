import type { Command } from 'commander';
import type { DoctorResult } from '../../workflows/doctor/contract.js';
import { apiClientFor, withApiOptions } from '../api-context.js';
import type { Identity } from '../credentials.js';
import { CommandFailed } from '../errors.js';
import { examples, printJson, table } from '../output.js';
import { positiveInt } from '../parse.js';
import { createProgress } from '../progress.js';
import { followRun, startRun } from '../runs-api.js';

interface DoctorOptions extends Identity {
  timeout: number;
  json?: boolean;
}

export function doctorTable(result: DoctorResult): string {
  return table(
    ['Pool', 'Task queue', 'OK', 'Version', 'Host', 'Latency', 'Error'],
    result.pools.map((p) => [
      p.pool,
      p.taskQueue,
      p.ok ? 'yes' : 'NO',
      p.version,
      p.host && p.pid !== undefined ? `${p.host} (pid ${p.pid})` : p.host,
      p.latencyMs !== undefined ? `${p.latencyMs} ms` : undefined,
      p.error,
    ]),
  );
}

export function registerDoctor(program: Command): void {
  withApiOptions(
    program
      .command('doctor')
      .summary('check every worker pool through the API and print a table')
      .description(
        'Run the doctor workflow through the API: one activity on every pool; prints version, host and latency',
      )
      .option('--timeout <seconds>', 'how long to wait for the result', positiveInt('--timeout'), 60)
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText(
      'after',
      examples('dharma doctor', 'API_URL=https://dharma.example.com API_TOKEN=... dharma doctor --json'),
    )
    .action(async (opts: DoctorOptions) => {
      const client = await apiClientFor(opts);
      const progress = createProgress();
      progress.update('starting the doctor workflow...');
      let result: DoctorResult;
      try {
        const started = await startRun(client, 'doctor', {});
        const run = await followRun(client, started.workflowId, progress, { timeoutMs: opts.timeout * 1000 });
        if (run.status !== 'COMPLETED') {
          throw new CommandFailed(
            `doctor run ${run.workflowId} ${run.status}: ${run.failure?.message ?? 'no result'}`,
          );
        }
        result = run.result as DoctorResult;
      } finally {
        progress.done();
      }
      if (opts.json) printJson(result);
      else console.log(doctorTable(result));
      const failing = result.pools.filter((p) => !p.ok);
      if (failing.length > 0) {
        throw new CommandFailed(`${failing.length} pool(s) not ok: ${failing.map((p) => p.pool).join(', ')}`);
      }
    });
}
