/**
 * Access policies of the zero-trust check (domain section 4), kept as data. A request must satisfy every
 * policy whose pattern matches its resource.
 */
export interface AccessPolicy {
  id: string;
  name: string;
  /** Resource pattern: `/`-separated segments, `*` matches one segment, a trailing `**` any rest. */
  pattern: string;
  /** The requester needs at least one of these roles. */
  anyRole: string[];
  /** Minimum overall trust score. */
  minTrust: number;
  mfaRequired: boolean;
  /** Minimum device compliance (0-100). */
  minDeviceCompliance: number;
}

export const DEFAULT_POLICIES: readonly AccessPolicy[] = [
  {
    id: 'pol_001',
    name: 'Production Database Access',
    pattern: 'database/production/*',
    anyRole: ['admin', 'dba'],
    minTrust: 75,
    mfaRequired: true,
    minDeviceCompliance: 90,
  },
];

export function patternMatches(pattern: string, resource: string): boolean {
  const want = pattern.split('/');
  const got = resource.split('/');
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment === '**' && i === want.length - 1) return got.length >= i;
    const actual = got[i];
    if (actual === undefined || (segment !== '*' && segment !== actual)) return false;
  }
  return got.length === want.length;
}

export function policiesFor(resource: string, policies: readonly AccessPolicy[]): AccessPolicy[] {
  return policies.filter((policy) => patternMatches(policy.pattern, resource));
}
