/**
 * Builds an AccessRequest from what an HTTP request can tell. Token claims read:
 * - `sub`: subject; `roles` (string array) or `role` (string): roles.
 * - `mfa: true`, or `amr` (RFC 8176) containing `mfa`: the user passed multi-factor authentication.
 * - `auth_time` (OIDC, seconds since epoch): when the user authenticated; falls back to `iat`.
 * - `device_posture`: `{ compliance: 0-100, encrypted, firewall, antivirus, patched: boolean }`, as issued by
 *   the device-management system. Absent or malformed: the device is unknown and earns no device points.
 * - `trust_history`: behaviour history score 0-100; absent counts as 0.
 * The source IP is the client address the server saw (Fastify `request.ip`, honouring trustProxy).
 */
import type { AccessRequest, DevicePosture } from './zero-trust.js';

export type TokenClaims = Readonly<Record<string, unknown>>;

export interface HttpAccessContext {
  claims: TokenClaims;
  sourceIp?: string;
  resource: string;
  action: string;
  environment?: string;
}

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

function devicePosture(value: unknown): DevicePosture | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const flags = ['encrypted', 'firewall', 'antivirus', 'patched'] as const;
  if (!isNumber(v.compliance) || flags.some((flag) => typeof v[flag] !== 'boolean')) return undefined;
  return {
    compliance: v.compliance,
    encrypted: v.encrypted as boolean,
    firewall: v.firewall as boolean,
    antivirus: v.antivirus as boolean,
    patched: v.patched as boolean,
  };
}

function roles(claims: TokenClaims): string[] {
  if (Array.isArray(claims.roles)) return claims.roles.filter((r): r is string => typeof r === 'string');
  return typeof claims.role === 'string' ? [claims.role] : [];
}

export function accessRequestFromHttp(context: HttpAccessContext): AccessRequest {
  const { claims } = context;
  const authTime = isNumber(claims.auth_time)
    ? claims.auth_time
    : isNumber(claims.iat)
      ? claims.iat
      : undefined;
  const device = devicePosture(claims.device_posture);
  return {
    subject: typeof claims.sub === 'string' ? claims.sub : 'anonymous',
    roles: roles(claims),
    resource: context.resource,
    action: context.action,
    ...(context.environment !== undefined ? { environment: context.environment } : {}),
    ...(device ? { device } : {}),
    mfa: claims.mfa === true || (Array.isArray(claims.amr) && claims.amr.includes('mfa')),
    ...(authTime !== undefined ? { authenticatedAt: new Date(authTime * 1000).toISOString() } : {}),
    history: isNumber(claims.trust_history) ? claims.trust_history : 0,
    ...(context.sourceIp !== undefined ? { sourceIp: context.sourceIp } : {}),
  };
}
