/**
 * Zero-trust access check (domain section 4), pure: the same request, options and time always give the
 * same decision. Used by the trust pool's `evaluateAccess` activity and by the API's privileged routes.
 */
import { isInternal, type TrustOptions } from './options.js';
import { policiesFor } from './policies.js';

/** Device posture as reported by the device-management system (or a token claim, see claims.ts). */
export interface DevicePosture {
  /** Compliance score 0-100. */
  compliance: number;
  encrypted: boolean;
  firewall: boolean;
  antivirus: boolean;
  /** Patch level current. */
  patched: boolean;
}

export interface AccessRequest {
  subject: string;
  roles: string[];
  /** What is accessed, `/`-separated, e.g. `database/production/orders` or `runs/<id>/approve`. */
  resource: string;
  action: string;
  /** Environment of the target; `production` (or a `production` resource segment) costs 10 context points. */
  environment?: string;
  /** Unknown device: no device points. */
  device?: DevicePosture;
  mfa: boolean;
  /** When the user last authenticated (ISO 8601); within 5 minutes earns 20 user points. */
  authenticatedAt?: string;
  /** Behaviour history score 0-100 (weighted 0.2). */
  history: number;
  sourceIp?: string;
}

export type Verdict = 'ALLOW' | 'CHALLENGE' | 'DENY';

export interface AccessDecision {
  decision: Verdict;
  /** Only for ALLOW: full at >= 90, limited at 75-89. */
  access?: 'full' | 'limited';
  /** What the API answers: 403 for CHALLENGE (step-up MFA) and DENY. */
  httpStatus: 200 | 403;
  score: number;
  scores: { device: number; user: number; context: number };
  /** Ids of the policies that matched the resource. */
  policies: string[];
  /** Why the decision is what it is, for the audit log and the 403 body. */
  reasons: string[];
  decidedAt: string;
  expiresAt: string;
}

export const WEIGHTS = { device: 0.35, user: 0.4, context: 0.25 } as const;
export const BANDS = { full: 90, limited: 75, challenge: 60 } as const;
export const RECENT_AUTH_MS = 5 * 60_000;

const clamp = (value: number) => Math.min(100, Math.max(0, value));
const round2 = (value: number) => Math.round(value * 100) / 100;

/** compliance × 0.4 + encryption 20 + firewall 15 + antivirus 15 + patch level 10. */
export function deviceScore(device: DevicePosture | undefined): number {
  if (!device) return 0;
  return clamp(
    clamp(device.compliance) * 0.4 +
      (device.encrypted ? 20 : 0) +
      (device.firewall ? 15 : 0) +
      (device.antivirus ? 15 : 0) +
      (device.patched ? 10 : 0),
  );
}

/** base 50 + MFA 30 + authenticated within 5 min 20 + history × 0.2. */
export function userScore(
  request: Pick<AccessRequest, 'mfa' | 'authenticatedAt' | 'history'>,
  now: Date,
): number {
  const age = request.authenticatedAt ? now.getTime() - Date.parse(request.authenticatedAt) : NaN;
  const recent = age >= 0 && age <= RECENT_AUTH_MS;
  return clamp(50 + (request.mfa ? 30 : 0) + (recent ? 20 : 0) + clamp(request.history) * 0.2);
}

export function isProductionTarget(request: Pick<AccessRequest, 'environment' | 'resource'>): boolean {
  return request.environment === 'production' || request.resource.split('/').includes('production');
}

/** base 50 + business hours 20 + internal network 15 − 10 for production targets. */
export function contextScore(
  request: Pick<AccessRequest, 'sourceIp' | 'environment' | 'resource'>,
  now: Date,
  options: Pick<TrustOptions, 'businessHours' | 'internalNetworks'>,
): number {
  const hour = now.getUTCHours();
  const businessHours = hour >= options.businessHours.startHour && hour < options.businessHours.endHour;
  return clamp(
    50 +
      (businessHours ? 20 : 0) +
      (isInternal(request.sourceIp, options.internalNetworks) ? 15 : 0) -
      (isProductionTarget(request) ? 10 : 0),
  );
}

export function trustScore(scores: AccessDecision['scores']): number {
  return round2(
    WEIGHTS.device * scores.device + WEIGHTS.user * scores.user + WEIGHTS.context * scores.context,
  );
}

/** The band of a score: ≥ 90 ALLOW full, 75-89 ALLOW limited, 60-74 CHALLENGE, < 60 DENY. */
export function band(score: number): Pick<AccessDecision, 'decision' | 'access'> {
  if (score >= BANDS.full) return { decision: 'ALLOW', access: 'full' };
  if (score >= BANDS.limited) return { decision: 'ALLOW', access: 'limited' };
  if (score >= BANDS.challenge) return { decision: 'CHALLENGE' };
  return { decision: 'DENY' };
}

const SEVERITY: Record<Verdict, number> = { ALLOW: 0, CHALLENGE: 1, DENY: 2 };

export function evaluateAccess(
  request: AccessRequest,
  options: TrustOptions,
  now: Date = new Date(),
): AccessDecision {
  const scores = {
    device: deviceScore(request.device),
    user: userScore(request, now),
    context: contextScore(request, now, options),
  };
  const score = trustScore(scores);
  let outcome = band(score);
  const reasons = [
    `trust score ${score} (device ${scores.device}, user ${scores.user}, context ${scores.context})`,
  ];
  // Policies can only make a decision stricter than the score's band, never looser.
  const tighten = (verdict: Verdict, reason: string) => {
    reasons.push(reason);
    if (SEVERITY[verdict] > SEVERITY[outcome.decision]) outcome = { decision: verdict };
  };
  const matched = policiesFor(request.resource, options.policies);
  for (const policy of matched) {
    if (!policy.anyRole.some((role) => request.roles.includes(role))) {
      tighten('DENY', `${policy.id}: requires one of the roles ${policy.anyRole.join(', ')}`);
    }
    if ((request.device?.compliance ?? 0) < policy.minDeviceCompliance) {
      tighten('DENY', `${policy.id}: requires device compliance >= ${policy.minDeviceCompliance}`);
    }
    if (policy.mfaRequired && !request.mfa) tighten('CHALLENGE', `${policy.id}: requires MFA (step-up)`);
    if (score < policy.minTrust)
      tighten('CHALLENGE', `${policy.id}: requires trust score >= ${policy.minTrust}`);
  }
  if (outcome.decision === 'CHALLENGE') reasons.push('step-up MFA required');
  return {
    ...outcome,
    httpStatus: outcome.decision === 'ALLOW' ? 200 : 403,
    score,
    scores,
    policies: matched.map((p) => p.id),
    reasons,
    decidedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + options.ttlSeconds * 1000).toISOString(),
  };
}

/** A decision older than its TTL no longer counts: a step that runs later re-checks. */
export function isExpired(decision: Pick<AccessDecision, 'expiresAt'>, now: Date): boolean {
  return now.getTime() >= Date.parse(decision.expiresAt);
}

/** True when the caller must evaluate again before acting: the decision expired or did not allow. */
export function needsRecheck(decision: Pick<AccessDecision, 'decision' | 'expiresAt'>, now: Date): boolean {
  return decision.decision !== 'ALLOW' || isExpired(decision, now);
}
