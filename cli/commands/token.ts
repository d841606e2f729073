import type { Command } from 'commander';
import { ROLES } from '../../lib/auth/roles.js';
import { intSetting } from '../../lib/config.js';
import { mintDevToken, parseRoles } from '../credentials.js';
import { UsageError } from '../errors.js';
import { examples } from '../output.js';
import { collect, positiveInt } from '../parse.js';

export function registerToken(program: Command): void {
  program
    .command('token')
    .summary('mint a development token (--user, --role)')
    .description(
      `Mint a development token signed with the local dev key under DHARMA_HOME (roles: ${ROLES.join(', ')})`,
    )
    .requiredOption('--user <user>', 'subject of the token')
    .option('--role <role>', `a role to grant (repeatable): ${ROLES.join(', ')}`, collect, [])
    .option('--ttl <seconds>', 'lifetime in seconds (default: AUTH_TOKEN_TTL)', positiveInt('--ttl'))
    .addHelpText(
      'after',
      examples(
        'dharma token --user alice --role operator',
        'dharma token --user bob --role approver --role viewer --ttl 600',
        'API_TOKEN=$(dharma token --user alice --role admin) curl -H "Authorization: Bearer $API_TOKEN" localhost:8080/v1/runs',
      ),
    )
    .action(async (opts: { user: string; role: string[]; ttl?: number }) => {
      if (opts.role.length === 0)
        throw new UsageError(`--role is required: valid roles are ${ROLES.join(', ')}`);
      const roles = parseRoles(opts.role, []);
      console.log(await mintDevToken(opts.user, roles, opts.ttl ?? intSetting('AUTH_TOKEN_TTL')));
    });
}
