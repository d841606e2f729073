import { createPublicKey } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { JWK } from 'jose';
import {
  boolSetting,
  dharmaHome,
  setting,
  usesEmbeddedDatabase,
  usesEmbeddedTemporal,
  type Env,
} from '../config.js';
import { ConfigError } from '../errors.js';
import { loadOrCreateDevKey } from './dev-key.js';

/** Asymmetric algorithms API tokens may use; HS256 is added only when explicitly enabled. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256'] as const;
export type TokenAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number] | 'HS256';

/** How the API verifies bearer tokens. Plain data, so tests build one directly. */
export interface AuthConfig {
  issuer: string;
  audience: string;
  /** Public keys trusted locally (configured PEMs and, when trusted, the dev key), each with `alg`. */
  publicKeys: JWK[];
  /** JWKS endpoint of an identity provider. */
  jwksUrl?: string;
  /** Shared secret for HS256; present only when AUTH_ALLOW_HS256=true. */
  hs256Secret?: string;
}

const MIN_HS256_SECRET = 32;

/** A PEM public key as a JWK whose `alg` follows from its type: RSA → RS256, P-256 → ES256. */
export function pemToJwk(pem: string, source: string): JWK {
  const key = createPublicKey(pem);
  const jwk = key.export({ format: 'jwk' }) as JWK;
  if (key.asymmetricKeyType === 'rsa') return { ...jwk, alg: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && jwk.crv === 'P-256') return { ...jwk, alg: 'ES256' };
  throw new ConfigError('AUTH_PUBLIC_KEYS', 'RSA or P-256 EC public keys (RS256/ES256)', source);
}

/** Whether the local dev key is trusted: AUTH_DEV_KEY=auto trusts it only on embedded defaults. */
export function trustsDevKey(env: Env = process.env): boolean {
  const mode = setting('AUTH_DEV_KEY', env).toLowerCase();
  if (mode === 'auto') return usesEmbeddedTemporal(env) && usesEmbeddedDatabase(env);
  return boolSetting('AUTH_DEV_KEY', env);
}

/** Builds the API's AuthConfig from the environment; a setup that could accept no token fails fast. */
export async function loadAuthConfig(env: Env = process.env): Promise<AuthConfig> {
  const publicKeys: JWK[] = [];
  for (const file of setting('AUTH_PUBLIC_KEYS', env)
    .split(',')
    .map((f) => f.trim())
    .filter(Boolean)) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch {
      throw new ConfigError('AUTH_PUBLIC_KEYS', 'readable PEM public key files', file);
    }
    publicKeys.push(pemToJwk(pem, file));
  }
  if (trustsDevKey(env)) publicKeys.push((await loadOrCreateDevKey(dharmaHome(env))).publicJwk);

  let hs256Secret: string | undefined;
  if (boolSetting('AUTH_ALLOW_HS256', env)) {
    hs256Secret = setting('AUTH_HS256_SECRET', env);
    if (hs256Secret.length < MIN_HS256_SECRET) {
      throw new ConfigError(
        'AUTH_HS256_SECRET',
        `a secret of at least ${MIN_HS256_SECRET} characters`,
        '<hidden>',
      );
    }
  }
  const jwksUrl = setting('AUTH_JWKS_URL', env) || undefined;
  if (jwksUrl) {
    try {
      new URL(jwksUrl);
    } catch {
      throw new ConfigError('AUTH_JWKS_URL', 'an absolute URL', jwksUrl);
    }
  }
  if (publicKeys.length === 0 && !jwksUrl && !hs256Secret) {
    throw new ConfigError(
      'AUTH_JWKS_URL',
      'a token verification source: AUTH_JWKS_URL, AUTH_PUBLIC_KEYS, AUTH_DEV_KEY=true or AUTH_ALLOW_HS256 with AUTH_HS256_SECRET',
      '',
    );
  }
  return {
    issuer: setting('AUTH_ISSUER', env),
    audience: setting('AUTH_AUDIENCE', env),
    publicKeys,
    ...(jwksUrl ? { jwksUrl } : {}),
    ...(hs256Secret ? { hs256Secret } : {}),
  };
}
