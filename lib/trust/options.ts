import { BlockList, isIP } from 'node:net';
import { intSetting, setting, type Env } from '../config.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_POLICIES, type AccessPolicy } from './policies.js';

/** Hours of the day (UTC) counted as business hours: start inclusive, end exclusive. */
export interface BusinessHours {
  startHour: number;
  endHour: number;
}

export interface TrustOptions {
  businessHours: BusinessHours;
  /** Networks whose addresses count as internal. */
  internalNetworks: BlockList;
  /** How long a decision stays valid. */
  ttlSeconds: number;
  policies: readonly AccessPolicy[];
}

export function parseBusinessHours(raw: string, variable = 'TRUST_BUSINESS_HOURS'): BusinessHours {
  const match = /^(\d{1,2})-(\d{1,2})$/.exec(raw.trim());
  const startHour = Number(match?.[1]);
  const endHour = Number(match?.[2]);
  if (!match || startHour > 23 || endHour > 24 || startHour >= endHour) {
    throw new ConfigError(variable, 'UTC hours as <start>-<end> with 0 <= start < end <= 24, e.g. 8-18', raw);
  }
  return { startHour, endHour };
}

export function parseNetworks(raw: string, variable = 'TRUST_INTERNAL_CIDRS'): BlockList {
  const list = new BlockList();
  for (const cidr of raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address = '', prefix = ''] = cidr.split('/');
    const family = isIP(address);
    const bits = Number(prefix);
    if (family === 0 || !/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) {
      throw new ConfigError(variable, 'comma-separated CIDR networks such as 10.0.0.0/8,::1/128', cidr);
    }
    list.addSubnet(address, bits, family === 4 ? 'ipv4' : 'ipv6');
  }
  return list;
}

/** True when `ip` lies in one of the networks; IPv4-mapped IPv6 addresses count as their IPv4 address. */
export function isInternal(ip: string | undefined, networks: BlockList): boolean {
  if (!ip) return false;
  const plain = ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
  const family = isIP(plain);
  if (family === 0) return false;
  return networks.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** Options from the settings table (TRUST_BUSINESS_HOURS, TRUST_INTERNAL_CIDRS, TRUST_DECISION_TTL_SECONDS). */
export function trustOptionsFromEnv(env: Env = process.env): TrustOptions {
  return {
    businessHours: parseBusinessHours(setting('TRUST_BUSINESS_HOURS', env)),
    internalNetworks: parseNetworks(setting('TRUST_INTERNAL_CIDRS', env)),
    ttlSeconds: intSetting('TRUST_DECISION_TTL_SECONDS', env),
    policies: DEFAULT_POLICIES,
  };
}
