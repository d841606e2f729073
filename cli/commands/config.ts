import type { Command } from 'commander';
import { SETTINGS, setting } from '../../lib/config.js';
import { examples, printJson, table } from '../output.js';

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|API_KEY|WEBHOOK/;

/** Secrets are shown as set/unset only; a URL keeps its host but loses its password. */
export function maskValue(name: string, value: string): string {
  if (value === '') return '';
  if (SECRET_NAME.test(name)) return '****';
  try {
    const url = new URL(value);
    if (url.password) {
      url.password = '****';
      return url.toString();
    }
  } catch {
    // Not a URL: nothing embedded to hide.
  }
  return value;
}

export function registerConfig(program: Command): void {
  program
    .command('config')
    .summary('print every setting, its value (secrets masked) and default')
    .description(
      'Print every setting with its current value (secrets masked), its default and where it comes from',
    )
    .option('--json', 'print JSON instead of a table')
    .option('--describe', 'add a column with what each setting means')
    .addHelpText(
      'after',
      examples('dharma config', 'API_PORT=9090 dharma config --describe', 'dharma config --json'),
    )
    .action((opts: { json?: boolean; describe?: boolean }) => {
      const rows = SETTINGS.map((spec) => {
        const fromEnv = (process.env[spec.env] ?? '') !== '';
        return {
          setting: spec.env,
          value: maskValue(spec.env, setting(spec.env)),
          default: spec.default,
          source: fromEnv ? 'env' : 'default',
          description: spec.description,
        };
      });
      if (opts.json) return printJson(rows);
      const head = ['Setting', 'Value', 'Default', 'Source', ...(opts.describe ? ['Meaning'] : [])];
      const cells = rows.map((r) => [
        r.setting,
        r.value,
        r.default,
        r.source,
        ...(opts.describe ? [r.description] : []),
      ]);
      console.log(table(head, cells));
    });
}
