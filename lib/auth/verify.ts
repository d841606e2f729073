import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { DharmaError } from '../errors.js';
import { ASYMMETRIC_ALGORITHMS, type AuthConfig, type TokenAlgorithm } from './config.js';
import { isRole, permissionsOf, type Permission, type Role } from './roles.js';

/** The authenticated caller, as the API, audit log and zero-trust check see it. */
export interface Principal {
  subject: string;
  roles: Role[];
  permissions: ReadonlySet<Permission>;
  /** The token says a second factor was used (`amr` contains `mfa`). */
  mfa: boolean;
  /** When the user authenticated (`auth_time`, else `iat`). */
  authenticatedAt?: Date;
  claims: JWTPayload;
}

export type AuthFailureReason =
  | 'missing_token'
  | 'malformed_token'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'invalid_claims';

/** A token was refused; `reason` is a stable code (also a metrics label), the message says why. */
export class AuthenticationFailed extends DharmaError {
  constructor(
    readonly reason: AuthFailureReason,
    message: string,
  ) {
    super(message);
  }
}

/** The identity provider's key set (AUTH_JWKS_URL) could not be had: not the token's fault, so not a 401. */
export class IdentityProviderUnavailable extends DharmaError {}

/** A failure to fetch the JWKS (network, timeout, an answer other than a key set), unlike a refused token. */
function providerOutage(error: unknown): boolean {
  if (error instanceof AuthenticationFailed) return false;
  if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) return true;
  return error.code === 'ERR_JOSE_GENERIC' && /JSON Web Key Set HTTP response/.test(error.message);
}

export type TokenVerifier = (token: string | undefined) => Promise<Principal>;

function allowedAlgorithms(config: AuthConfig): TokenAlgorithm[] {
  return config.hs256Secret ? [...ASYMMETRIC_ALGORITHMS, 'HS256'] : [...ASYMMETRIC_ALGORITHMS];
}

/** Key sources tried in order: local keys, then the identity provider's JWKS. */
function keySources(config: AuthConfig): JWTVerifyGetKey[] {
  const sources: JWTVerifyGetKey[] = [];
  if (config.publicKeys.length > 0) sources.push(createLocalJWKSet({ keys: config.publicKeys }));
  if (config.jwksUrl) sources.push(createRemoteJWKSet(new URL(config.jwksUrl)));
  return sources;
}

function refusal(error: unknown): AuthenticationFailed {
  if (error instanceof AuthenticationFailed) return error;
  if (error instanceof errors.JWTExpired) return new AuthenticationFailed('expired', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) {
    return new AuthenticationFailed(
      'invalid_claims',
      `token claim "${error.claim}" is invalid: ${error.message}`,
    );
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return new AuthenticationFailed('bad_signature', 'token signature verification failed');
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    return new AuthenticationFailed('unknown_key', 'token is not signed by a trusted key');
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return new AuthenticationFailed('algorithm_not_allowed', error.message);
  }
  return new AuthenticationFailed('malformed_token', `token is malformed: ${(error as Error).message}`);
}

function principalOf(payload: JWTPayload): Principal {
  if (typeof payload.sub !== 'string' || payload.sub === '') {
    throw new AuthenticationFailed('invalid_claims', 'token has no subject ("sub" claim)');
  }
  const claimed: unknown[] = Array.isArray(payload.roles) ? payload.roles : [];
  const roles = claimed.filter(isRole);
  const amr: unknown[] = Array.isArray(payload.amr) ? payload.amr : [];
  const authTime = typeof payload.auth_time === 'number' ? payload.auth_time : payload.iat;
  return {
    subject: payload.sub,
    roles,
    permissions: permissionsOf(roles),
    mfa: amr.includes('mfa'),
    ...(authTime !== undefined ? { authenticatedAt: new Date(authTime * 1000) } : {}),
    claims: payload,
  };
}

/**
 * Verifies bearer tokens: signature against the configured keys, algorithm RS256/ES256 (HS256 only when
 * enabled), issuer, audience and a required `exp`. Every refusal is an AuthenticationFailed with a reason.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  const algorithms = allowedAlgorithms(config);
  const sources = keySources(config);
  const secret = config.hs256Secret ? new TextEncoder().encode(config.hs256Secret) : undefined;
  const options = { issuer: config.issuer, audience: config.audience, algorithms, requiredClaims: ['exp'] };

  return async (token) => {
    if (!token)
      throw new AuthenticationFailed('missing_token', 'missing bearer token (Authorization: Bearer <jwt>)');
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch (error) {
      throw refusal(error);
    }
    // Checked before any key lookup so `alg: none` and disabled HS256 get a precise reason.
    if (!alg || !(algorithms as string[]).includes(alg)) {
      throw new AuthenticationFailed(
        'algorithm_not_allowed',
        `token algorithm ${alg ?? '(none)'} is not accepted (allowed: ${algorithms.join(', ')})`,
      );
    }
    if (alg === 'HS256' && secret) {
      try {
        return principalOf((await jwtVerify(token, secret, options)).payload);
      } catch (error) {
        throw refusal(error);
      }
    }
    let last: AuthenticationFailed = new AuthenticationFailed(
      'unknown_key',
      'token is not signed by a trusted key',
    );
    for (const source of sources) {
      try {
        return principalOf((await jwtVerify(token, source, options)).payload);
      } catch (error) {
        if (providerOutage(error)) {
          throw new IdentityProviderUnavailable(
            `the identity provider's key set (${config.jwksUrl}) cannot be fetched: ${(error as Error).message}`,
            { cause: error },
          );
        }
        const refused = refusal(error);
        // A key miss or signature mismatch may be another source's key; a refused claim is final.
        if (refused.reason !== 'unknown_key' && refused.reason !== 'bad_signature') throw refused;
        if (last.reason === 'unknown_key') last = refused;
      }
    }
    throw last;
  };
}

/** The token of an `Authorization: Bearer <jwt>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}
