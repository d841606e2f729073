import type { Command } from 'commander';
import { apiClientFor, withApiOptions } from '../api-context.js';
import type { Identity } from '../credentials.js';
import { examples, printJson, table } from '../output.js';
import { positiveInt } from '../parse.js';
import type { RunSummary } from '../../api/run-view.js';
import { getRun } from '../runs-api.js';
import { describeRun } from '../run-view.js';
import { registerRunDecisions } from './runs-decide.js';
import { registerRunStart } from './runs-start.js';

interface RunList {
  items: RunSummary[];
  nextCursor?: string;
}

interface ListOptions extends Identity {
  type?: string;
  status?: string;
  env?: string;
  requester?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

function registerList(runs: Command): void {
  withApiOptions(
    runs
      .command('list')
      .description('List runs from Temporal visibility, newest first')
      .option('--type <workflowType>', 'only this workflow type')
      .option(
        '--status <status>',
        'only this status: running, completed, failed, cancelled, terminated, timed_out',
      )
      .option('--env <environment>', 'only runs targeting this environment')
      .option('--requester <user>', 'only runs this user started')
      .option('--limit <n>', 'at most this many runs', positiveInt('--limit'), 20)
      .option('--cursor <cursor>', 'continue a previous listing (printed after a full page)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      examples(
        'dharma runs list',
        'dharma runs list --type changeRequest --status running --env production --limit 50',
      ),
    )
    .action(async (opts: ListOptions) => {
      const client = await apiClientFor(opts);
      const list = await client.get<RunList>('/v1/runs', {
        workflowType: opts.type,
        status: opts.status?.toUpperCase().replace(/^CANCELED$/, 'CANCELLED'),
        environment: opts.env,
        requester: opts.requester,
        limit: opts.limit,
        cursor: opts.cursor,
      });
      if (opts.json) return printJson(list);
      const head = ['Run', 'Type', 'Status', 'Env', 'Requester', 'Started', 'Closed'];
      const rows = list.items.map((r) => [
        r.workflowId,
        r.workflowType,
        r.status,
        r.environment,
        r.requester,
        r.startTime,
        r.closeTime,
      ]);
      console.log(rows.length > 0 ? table(head, rows) : 'no runs match');
      if (list.nextCursor) console.log(`more: dharma runs list --cursor ${list.nextCursor}`);
    });
}

function registerShow(runs: Command): void {
  withApiOptions(
    runs
      .command('show')
      .description(
        'Show a run: status, current step, approval (with change hash), result or failure, Temporal UI link',
      )
      .argument('<id>', 'run id (the workflow id)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', examples('dharma runs show change-7f3a', 'dharma runs show change-7f3a --json'))
    .action(async (id: string, opts: Identity & { json?: boolean }) => {
      const run = await getRun(await apiClientFor(opts), id);
      if (opts.json) printJson(run);
      else console.log(describeRun(run));
    });
}

export function registerRuns(program: Command): void {
  const runs = program
    .command('runs')
    .description('list, inspect, start, approve, reject and cancel workflow runs through the API')
    .addHelpText(
      'after',
      examples(
        'dharma runs list --status Running',
        'dharma runs show <id>',
        "dharma runs start doctor --input '{}' --follow",
        'dharma runs approve <id> --reason "reviewed plan"',
      ),
    );
  registerList(runs);
  registerShow(runs);
  registerRunStart(runs);
  registerRunDecisions(runs);
}
