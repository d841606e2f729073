import type { Command } from 'commander';
import { ROLES } from '../lib/auth/roles.js';
import { ApiClient, apiBaseUrl } from './api-client.js';
import { resolveToken, type Identity } from './credentials.js';
import { collect } from './parse.js';

/** Options of every command that talks to the API: whom a self-minted dev token names. */
export function withApiOptions(command: Command): Command {
  return command
    .option(
      '--as <user>',
      'user of the token the CLI mints on embedded defaults (default: $USER; ignored with API_TOKEN)',
    )
    .option(
      '--role <role>',
      `role of that token, repeatable: ${ROLES.join(', ')} (default: admin)`,
      collect,
      [],
    );
}

export async function apiClientFor(identity: Identity): Promise<ApiClient> {
  return new ApiClient(apiBaseUrl(), await resolveToken(identity));
}
