import { userInfo } from 'node:os';
import { ROLES, isRole, type Role } from '../lib/auth/roles.js';
import { loadOrCreateDevKey, mintToken } from '../lib/auth/dev-key.js';
import { trustsDevKey } from '../lib/auth/config.js';
import { dharmaHome, intSetting, setting } from '../lib/config.js';
import { DharmaError } from '../lib/errors.js';
import { UsageError } from './errors.js';

/** Who the CLI acts as when it mints its own token (`--as`, `--role`). */
export interface Identity {
  as?: string;
  role?: string[];
}

export function parseRoles(values: readonly string[] | undefined, fallback: Role[]): Role[] {
  if (!values || values.length === 0) return fallback;
  const unknown = values.filter((value) => !isRole(value));
  if (unknown.length > 0) {
    throw new UsageError(
      `unknown role ${unknown.map((r) => `'${r}'`).join(', ')}: valid roles are ${ROLES.join(', ')}`,
    );
  }
  return [...new Set(values as Role[])];
}

export function currentUser(): string {
  return process.env.USER || userInfo().username;
}

export async function mintDevToken(subject: string, roles: Role[], ttlSeconds: number): Promise<string> {
  const key = await loadOrCreateDevKey(dharmaHome());
  return mintToken({
    subject,
    roles,
    ttlSeconds,
    key,
    issuer: setting('AUTH_ISSUER'),
    audience: setting('AUTH_AUDIENCE'),
  });
}

/** API_TOKEN, or on embedded defaults a short-lived token minted with the local dev key. */
export async function resolveToken(identity: Identity): Promise<string> {
  const configured = setting('API_TOKEN');
  if (configured) return configured;
  if (!trustsDevKey()) {
    throw new DharmaError(
      'API_TOKEN is not set: the API is external (TEMPORAL_ADDRESS/DATABASE_URL set), so the CLI cannot mint its own token; ' +
        'set API_TOKEN to a token from your identity provider',
    );
  }
  const roles = parseRoles(identity.role, ['admin']);
  return mintDevToken(identity.as ?? currentUser(), roles, intSetting('AUTH_TOKEN_TTL'));
}
