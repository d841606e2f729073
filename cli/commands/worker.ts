import type { Command } from 'commander';
import { POOLS, isPoolName, type PoolName } from '../../lib/pools.js';
import { UsageError } from '../errors.js';
import { examples } from '../output.js';
import { collect } from '../parse.js';

/** `--pool a,b --pool c` or `--pool all`, validated against the pool names. */
export function parsePools(values: readonly string[]): PoolName[] {
  const names = values
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  if (names.length === 0)
    throw new UsageError(`--pool is required: one or more of ${POOLS.join(', ')}, or all`);
  if (names.includes('all')) return [...POOLS];
  const unknown = names.filter((name) => !isPoolName(name));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown pool ${unknown.map((n) => `'${n}'`).join(', ')}: valid pools are ${POOLS.join(', ')}, all`,
    );
  }
  return [...new Set(names as PoolName[])];
}

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .summary('run worker pools (--pool name,...|all)')
    .description(
      'Run one or more worker pools against TEMPORAL_ADDRESS and DATABASE_URL until SIGINT/SIGTERM (graceful drain)',
    )
    .option(
      '--pool <name>',
      `pool(s) to run, comma-separated or repeated: ${POOLS.join(', ')}, all`,
      collect,
      [],
    )
    .addHelpText(
      'after',
      examples(
        'TEMPORAL_ADDRESS=temporal:7233 DATABASE_URL=postgres://... dharma worker --pool terraform',
        'dharma worker --pool trust,cloud',
        'dharma worker --pool all',
      ),
    )
    .action(async (opts: { pool: string[] }) => {
      const pools = parsePools(opts.pool);
      // Loaded on use: the worker runtime (native core, bundler) is heavy and other commands never need it.
      const { runPoolsFromEnv } = await import('../../workers/from-env.js');
      await runPoolsFromEnv(pools);
    });
}
