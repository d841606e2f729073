import type { Command } from 'commander';
import { examples } from '../output.js';

export function registerUp(program: Command): void {
  program
    .command('up')
    .summary('start the whole platform (embedded Temporal, PostgreSQL, pools, API); Ctrl-C stops it')
    .description(
      'Start the platform as one supervised process tree: Temporal dev server + UI, PostgreSQL, every worker pool and the API ' +
        '(external Temporal/PostgreSQL when TEMPORAL_ADDRESS/DATABASE_URL are set). Ctrl-C stops it gracefully',
    )
    .addHelpText(
      'after',
      examples(
        'dharma up',
        'API_PORT=9090 TEMPORAL_UI_PORT=9233 dharma up',
        'DATABASE_URL=postgres://... dharma up',
      ),
    )
    .action(async () => {
      const { startPlatform } = await import('../../lib/platform/up.js');
      // startPlatform prints the URLs and health line, and stops gracefully on Ctrl-C / SIGTERM by itself.
      const platform = await startPlatform();
      await platform.done;
    });
}
