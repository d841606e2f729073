import { Command, CommanderError } from 'commander';
import { dharmaVersion } from '../lib/package-root.js';
import { registerApi } from './commands/api.js';
import { registerConfig } from './commands/config.js';
import { registerDeploy } from './commands/deploy.js';
import { registerDoctor } from './commands/doctor.js';
import { registerIncidents } from './commands/incidents.js';
import { registerMigrate } from './commands/migrate.js';
import { registerPlaybooks } from './commands/playbooks.js';
import { registerRuns } from './commands/runs.js';
import { registerToken } from './commands/token.js';
import { registerUp } from './commands/up.js';
import { registerWorker } from './commands/worker.js';
import { EXIT, UsageError } from './errors.js';
import { examples } from './output.js';

export function buildProgram(): Command {
  const program = new Command('dharma')
    .description('Dharma: infrastructure operations as durable Temporal workflows')
    .version(dharmaVersion(), '-V, --version')
    // Options after a subcommand are that subcommand's: `deploy --version 1.2.0` is the blueprint version,
    // not the program's --version.
    .enablePositionalOptions()
    // Settings set before .command() are inherited by every subcommand: parse errors throw instead of exiting.
    .exitOverride()
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      examples('dharma up', 'dharma doctor', 'dharma runs list --status Running', 'dharma <command> --help'),
    );
  for (const register of [
    registerUp,
    registerApi,
    registerWorker,
    registerDoctor,
    registerToken,
    registerRuns,
    registerDeploy,
    registerIncidents,
    registerPlaybooks,
    registerMigrate,
    registerConfig,
  ]) {
    register(program);
  }
  return program;
}

/** One line on stderr; the stack only with DEBUG set, since users act on the message, not the trace. */
function report(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`error: ${message}\n`);
  if (process.env.DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
}

/** Runs the CLI and returns its exit code: 0 ok, 1 failure, 2 usage. */
export async function runCli(argv: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (error) {
    // Commander has already printed its message (or the help) when it throws.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    report(error);
    return error instanceof UsageError ? EXIT.usage : EXIT.failure;
  }
}
