import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { apiClientFor, withApiOptions } from '../api-context.js';
import type { Identity } from '../credentials.js';
import { CommandFailed, UsageError } from '../errors.js';
import { examples } from '../output.js';
import { positiveInt } from '../parse.js';
import { followRunLive, startRun } from '../runs-api.js';
import { describeRun } from '../run-view.js';

interface StartOptions extends Identity {
  input: string;
  follow?: boolean;
  timeout: number;
}

/** `--input` is inline JSON or `@file` holding JSON. */
export async function parseInput(raw: string): Promise<unknown> {
  let text = raw;
  if (raw.startsWith('@')) {
    try {
      text = await readFile(raw.slice(1), 'utf8');
    } catch (error) {
      throw new UsageError(`--input: cannot read ${raw.slice(1)}: ${(error as Error).message}`);
    }
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UsageError(
      `--input: expected JSON or @file with JSON, got ${JSON.stringify(text.slice(0, 60))} (${(error as Error).message})`,
    );
  }
}

export function registerRunStart(runs: Command): void {
  withApiOptions(
    runs
      .command('start')
      .description('Start a registered workflow type with an input (POST /v1/runs)')
      .argument('<workflowType>', 'workflow type, e.g. doctor or changeRequest')
      .option('--input <json|@file>', 'workflow input as JSON, or @path of a JSON file', '{}')
      .option('--follow', 'watch the run until it closes (exit 1 unless it completes)')
      .option('--timeout <seconds>', 'with --follow: how long to watch', positiveInt('--timeout'), 24 * 3600),
  )
    .addHelpText(
      'after',
      examples(
        "dharma runs start doctor --input '{}' --follow",
        'dharma runs start changeRequest --input @change.json --follow',
      ),
    )
    .action(async (workflowType: string, opts: StartOptions) => {
      const input = await parseInput(opts.input);
      const client = await apiClientFor(opts);
      const started = await startRun(client, workflowType, input);
      console.log(`started ${started.workflowType} run ${started.workflowId}`);
      if (!opts.follow) return;
      const run = await followRunLive(client, started.workflowId, {
        timeoutMs: opts.timeout * 1000,
        approving: 'change',
      });
      console.log(describeRun(run));
      if (run.status !== 'COMPLETED') throw new CommandFailed(`run ${run.workflowId} ${run.status}`);
    });
}
