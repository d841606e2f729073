import type { Command } from 'commander';
import { formatProblem, PlaybookInvalid } from '../../lib/playbooks/errors.js';
import { loadPlaybooks, playbooksDir } from '../../lib/playbooks/load.js';
import type { Playbook } from '../../lib/playbooks/schema.js';
import { CommandFailed } from '../errors.js';
import { examples } from '../output.js';

/** The match rules in one line, as they read in the file: what alerts the playbook answers. */
export function describeMatch({ match }: Playbook): string {
  const parts: string[] = [];
  if (match.alertNames) parts.push(`alerts ${match.alertNames.join(', ')}`);
  for (const [label, matcher] of Object.entries(match.labels ?? {})) parts.push(`${label}=${matcher}`);
  if (match.severities) parts.push(`severity ${match.severities.join('/')}`);
  if (match.classifierCause) parts.push(`classifier cause ${match.classifierCause}`);
  return parts.join('; ');
}

function registerValidate(playbooks: Command): void {
  playbooks
    .command('validate')
    .description(
      'Validate every playbook file of a directory offline, as the workers do at start; exit 1 on any problem',
    )
    .argument('[dir]', 'directory of *.yaml, *.yml and *.json playbooks (default: PLAYBOOKS_DIR)')
    .addHelpText('after', examples('dharma playbooks validate', 'dharma playbooks validate ./my-playbooks'))
    .action(async (dir: string | undefined) => {
      const where = dir ?? playbooksDir();
      let loaded: Playbook[];
      try {
        loaded = await loadPlaybooks(where);
      } catch (error) {
        if (!(error instanceof PlaybookInvalid)) throw error;
        for (const problem of error.problems) process.stderr.write(`${formatProblem(problem)}\n`);
        const count = error.problems.length;
        throw new CommandFailed(
          `${count} problem${count === 1 ? '' : 's'} in ${where}; no playbook is loaded`,
        );
      }
      for (const p of loaded) console.log(`${p.id}@v${p.version}  ${describeMatch(p)}`);
      console.log(`${loaded.length} playbook${loaded.length === 1 ? '' : 's'} valid in ${where}`);
    });
}

export function registerPlaybooks(program: Command): void {
  const playbooks = program
    .command('playbooks')
    .description('check remediation playbooks before the workers load them')
    .addHelpText('after', examples('dharma playbooks validate', 'dharma playbooks validate playbooks/'));
  registerValidate(playbooks);
}
