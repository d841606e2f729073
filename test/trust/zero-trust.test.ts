import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accessRequestFromHttp } from '../../lib/trust/claims.js';
import {
  parseBusinessHours,
  parseNetworks,
  trustOptionsFromEnv,
  type TrustOptions,
} from '../../lib/trust/options.js';
import { patternMatches } from '../../lib/trust/policies.js';
import {
  band,
  contextScore,
  deviceScore,
  evaluateAccess,
  isExpired,
  needsRecheck,
  trustScore,
  userScore,
  type AccessRequest,
  type DevicePosture,
} from '../../lib/trust/zero-trust.js';
import { ConfigError } from '../../lib/errors.js';

const options: TrustOptions = trustOptionsFromEnv({});
// 10:00 UTC on a weekday: inside the default business hours 8-18.
const NOON = new Date('2025-03-04T10:00:00Z');
const NIGHT = new Date('2025-03-04T22:00:00Z');
const fullDevice: DevicePosture = {
  compliance: 95,
  encrypted: true,
  firewall: true,
  antivirus: true,
  patched: true,
};

const request = (overrides: Partial<AccessRequest> = {}): AccessRequest => ({
  subject: 'alice',
  roles: ['admin'],
  resource: 'database/production/orders',
  action: 'read',
  device: fullDevice,
  mfa: true,
  authenticatedAt: new Date(NOON.getTime() - 60_000).toISOString(),
  history: 0,
  sourceIp: '10.0.0.7',
  ...overrides,
});

describe('zero-trust scores (domain section 4)', () => {
  const deviceCases: Array<[string, DevicePosture | undefined, number]> = [
    ['full posture with compliance 95', fullDevice, 98],
    [
      'compliance only',
      { compliance: 100, encrypted: false, firewall: false, antivirus: false, patched: false },
      40,
    ],
    [
      'encryption + firewall, compliance 50',
      { ...fullDevice, compliance: 50, antivirus: false, patched: false },
      55,
    ],
    ['compliance above 100 is capped', { ...fullDevice, compliance: 250 }, 100],
    ['unknown device', undefined, 0],
  ];
  for (const [name, device, expected] of deviceCases) {
    it(`device: ${name} → ${expected}`, () => assert.equal(deviceScore(device), expected));
  }

  const userCases: Array<[string, Pick<AccessRequest, 'mfa' | 'authenticatedAt' | 'history'>, number]> = [
    [
      'MFA + authenticated 1 min ago',
      { mfa: true, authenticatedAt: '2025-03-04T09:59:00Z', history: 0 },
      100,
    ],
    [
      'no MFA, authenticated 10 min ago, history 50',
      { mfa: false, authenticatedAt: '2025-03-04T09:50:00Z', history: 50 },
      60,
    ],
    [
      'exactly 5 min ago counts as recent',
      { mfa: false, authenticatedAt: '2025-03-04T09:55:00Z', history: 0 },
      70,
    ],
    ['MFA + history 100, not recent', { mfa: true, history: 100 }, 100],
    ['everything: capped at 100', { mfa: true, authenticatedAt: '2025-03-04T09:59:00Z', history: 100 }, 100],
  ];
  for (const [name, user, expected] of userCases) {
    it(`user: ${name} → ${expected}`, () => assert.equal(userScore(user, NOON), expected));
  }

  const contextCases: Array<[string, Partial<AccessRequest>, Date, number]> = [
    ['business hours, internal, production', {}, NOON, 75],
    ['business hours, internal, staging', { resource: 'database/staging/orders' }, NOON, 85],
    ['night, external, production', { sourceIp: '203.0.113.9' }, NIGHT, 40],
    ['IPv4-mapped internal address', { sourceIp: '::ffff:192.168.1.4', resource: 'x' }, NOON, 85],
    [
      'production environment on a neutral resource',
      { resource: 'runs/1', environment: 'production' },
      NOON,
      75,
    ],
    ['no source IP', { sourceIp: undefined, resource: 'x' }, NIGHT, 50],
  ];
  for (const [name, overrides, at, expected] of contextCases) {
    it(`context: ${name} → ${expected}`, () =>
      assert.equal(contextScore(request(overrides), at, options), expected));
  }

  it('weights 0.35 / 0.40 / 0.25: the worked example 98, 100, 75 → 93.05', () => {
    assert.equal(trustScore({ device: 98, user: 100, context: 75 }), 93.05);
  });
});

describe('zero-trust decision bands', () => {
  const edges: Array<[number, string]> = [
    [100, 'ALLOW full'],
    [90, 'ALLOW full'],
    [89.99, 'ALLOW limited'],
    [75, 'ALLOW limited'],
    [74.99, 'CHALLENGE'],
    [60, 'CHALLENGE'],
    [59.99, 'DENY'],
    [0, 'DENY'],
  ];
  for (const [score, expected] of edges) {
    it(`${score} → ${expected}`, () => {
      const { decision, access } = band(score);
      assert.equal([decision, access].filter(Boolean).join(' '), expected);
    });
  }
});

describe('evaluateAccess', () => {
  it('allows the worked example with full access, matching pol_001, for 900 s', () => {
    const decision = evaluateAccess(request(), options, NOON);
    assert.equal(decision.score, 93.05);
    assert.deepEqual(decision.scores, { device: 98, user: 100, context: 75 });
    assert.equal(decision.decision, 'ALLOW');
    assert.equal(decision.access, 'full');
    assert.equal(decision.httpStatus, 200);
    assert.deepEqual(decision.policies, ['pol_001']);
    assert.equal(decision.expiresAt, '2025-03-04T10:15:00.000Z');
  });

  it('challenges (403) a request in the 60-74 band: step-up MFA', () => {
    // device 98, user 50 + 20 = 70, context 75 → 34.3 + 28 + 18.75 = 81.05 would allow; pol_001 wants MFA.
    const decision = evaluateAccess(request({ mfa: false }), options, NOON);
    assert.equal(decision.decision, 'CHALLENGE');
    assert.equal(decision.httpStatus, 403);
    assert.ok(decision.reasons.some((r) => r.includes('pol_001: requires MFA')));
    // Outside any policy the band alone decides: device 40, user 50, context 40 → 14 + 20 + 10 = 44 → DENY.
    const weak = { compliance: 100, encrypted: false, firewall: false, antivirus: false, patched: false };
    const denied = evaluateAccess(
      request({
        mfa: false,
        device: weak,
        resource: 'runs/1',
        sourceIp: '203.0.113.9',
        environment: 'production',
      }),
      options,
      NIGHT,
    );
    assert.equal(denied.score, 44);
    assert.equal(denied.decision, 'DENY');
    assert.equal(denied.httpStatus, 403);
  });

  it('challenges on the score alone in the 60-74 band, outside any policy', () => {
    // device 40, user 70, context 75 → 14 + 28 + 18.75 = 60.75.
    const weak = { compliance: 100, encrypted: false, firewall: false, antivirus: false, patched: false };
    const decision = evaluateAccess(
      request({ mfa: false, device: weak, resource: 'runs/1', environment: 'production' }),
      options,
      NOON,
    );
    assert.equal(decision.score, 60.75);
    assert.deepEqual(decision.policies, []);
    assert.equal(decision.decision, 'CHALLENGE');
    assert.equal(decision.httpStatus, 403);
    assert.ok(decision.reasons.includes('step-up MFA required'));
  });

  it('pol_001 denies a requester without admin or dba, and a device below 90 compliance', () => {
    const viewer = evaluateAccess(request({ roles: ['viewer'] }), options, NOON);
    assert.equal(viewer.decision, 'DENY');
    assert.ok(viewer.reasons.some((r) => r.includes('roles admin, dba')));
    const dba = evaluateAccess(
      request({ roles: ['dba'], device: { ...fullDevice, compliance: 89 } }),
      options,
      NOON,
    );
    assert.equal(dba.decision, 'DENY');
    assert.ok(dba.reasons.some((r) => r.includes('device compliance >= 90')));
  });

  it('limits access between 75 and 89', () => {
    // At night, from outside, not production, authenticated hours ago: device 98, user 80, context 50
    // → 34.3 + 32 + 12.5 = 78.8.
    const decision = evaluateAccess(request({ resource: 'runs/7', sourceIp: '8.8.8.8' }), options, NIGHT);
    assert.equal(decision.score, 78.8);
    assert.equal(decision.access, 'limited');
  });

  it('expires decisions after the TTL, so a later step re-checks', () => {
    const decision = evaluateAccess(request(), options, NOON);
    assert.equal(isExpired(decision, new Date(NOON.getTime() + 899_000)), false);
    assert.equal(isExpired(decision, new Date(NOON.getTime() + 900_000)), true);
    assert.equal(needsRecheck(decision, new Date(NOON.getTime() + 60_000)), false);
    assert.equal(needsRecheck({ ...decision, decision: 'CHALLENGE' }, NOON), true);
    const short = evaluateAccess(request(), { ...options, ttlSeconds: 60 }, NOON);
    assert.equal(short.expiresAt, '2025-03-04T10:01:00.000Z');
  });
});

describe('trust settings and helpers', () => {
  it('match resource patterns segment by segment', () => {
    assert.ok(patternMatches('database/production/*', 'database/production/orders'));
    assert.ok(!patternMatches('database/production/*', 'database/production/orders/table'));
    assert.ok(!patternMatches('database/production/*', 'database/staging/orders'));
    assert.ok(patternMatches('runs/**', 'runs/1/approve'));
  });

  it('reject malformed business hours and CIDRs, naming the variable', () => {
    assert.deepEqual(parseBusinessHours('9-17'), { startHour: 9, endHour: 17 });
    assert.throws(
      () => parseBusinessHours('18-8'),
      (e: unknown) => e instanceof ConfigError && /TRUST_BUSINESS_HOURS/.test(e.message),
    );
    assert.throws(
      () => parseNetworks('10.0.0.0/33'),
      (e: unknown) => e instanceof ConfigError && /TRUST_INTERNAL_CIDRS/.test(e.message),
    );
  });

  it('honour TRUST_BUSINESS_HOURS and TRUST_INTERNAL_CIDRS from the environment', () => {
    const custom = trustOptionsFromEnv({
      TRUST_BUSINESS_HOURS: '20-23',
      TRUST_INTERNAL_CIDRS: '203.0.113.0/24',
    });
    assert.equal(contextScore(request({ sourceIp: '203.0.113.9', resource: 'x' }), NIGHT, custom), 85);
    assert.equal(contextScore(request({ sourceIp: '10.0.0.7', resource: 'x' }), NOON, custom), 50);
  });

  it('build a request from token claims and the client address', () => {
    const built = accessRequestFromHttp({
      claims: {
        sub: 'bob',
        roles: ['approver'],
        amr: ['pwd', 'mfa'],
        auth_time: NOON.getTime() / 1000 - 30,
        device_posture: fullDevice,
        trust_history: 40,
      },
      sourceIp: '127.0.0.1',
      resource: 'runs/abc/approve',
      action: 'approve',
      environment: 'production',
    });
    assert.deepEqual(built, {
      subject: 'bob',
      roles: ['approver'],
      resource: 'runs/abc/approve',
      action: 'approve',
      environment: 'production',
      device: fullDevice,
      mfa: true,
      authenticatedAt: '2025-03-04T09:59:30.000Z',
      history: 40,
      sourceIp: '127.0.0.1',
    });
    // Malformed posture and no MFA: an unknown device, no MFA points; `iat` stands in for auth_time.
    const weak = accessRequestFromHttp({
      claims: { sub: 'eve', role: 'operator', iat: 1, device_posture: { compliance: 'high' } },
      resource: 'runs',
      action: 'list',
    });
    assert.equal(weak.device, undefined);
    assert.equal(weak.mfa, false);
    assert.deepEqual(weak.roles, ['operator']);
    assert.equal(weak.authenticatedAt, '1970-01-01T00:00:01.000Z');
  });
});
