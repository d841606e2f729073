import { createHmac, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import type { AlertSourceKind } from '../../lib/alerts/alert.js';
import { keyHash, type WebhookSource } from '../../lib/alerts/sources.js';
import { Unauthenticated } from '../errors.js';

export { keyHash, type WebhookSource };

const refuse = (reason: string, message: string) => new Unauthenticated(reason, message);

/**
 * Only exact hex of the expected length compares: Buffer.from(…, 'hex') stops at the first other character,
 * so `<signature>x` would decode to the signature and pass as a signature not seen before.
 */
function equalHex(expected: string, given: string): boolean {
  if (given.length !== expected.length || !/^[0-9a-f]+$/i.test(given)) return false;
  const a = Buffer.from(expected, 'hex');
  const b = Buffer.from(given, 'hex');
  return a.length === b.length && a.length > 0 && timingSafeEqual(a, b);
}

export function hmacHex(secret: string, ...parts: (string | Buffer)[]): string {
  const hmac = createHmac('sha256', secret);
  for (const part of parts) hmac.update(part);
  return hmac.digest('hex');
}

/** The source must exist, be enabled and be of the kind the route receives. */
export function checkSource(found: WebhookSource | undefined, name: string, kind: AlertSourceKind) {
  if (!found || found.kind !== kind)
    throw refuse('unknown_source', `no ${kind} webhook source named ${name}`);
  if (!found.enabled) throw refuse('source_disabled', `webhook source ${name} is disabled`);
  return found;
}

export function verifyBearer(source: WebhookSource, authorization: string | undefined): void {
  const match = /^Bearer (.+)$/i.exec(authorization ?? '');
  if (!match) throw refuse('missing_credentials', 'Authorization: Bearer <source key> is required');
  if (!source.keyHash || !equalHex(source.keyHash, keyHash(match[1]!))) {
    throw refuse('bad_key', `the key is not valid for source ${source.source}`);
  }
}

/** `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>]` (several while a secret rotates): one must match. */
export function verifyPagerDuty(source: WebhookSource, header: string | undefined, raw: Buffer): void {
  if (!header) throw refuse('missing_signature', 'X-PagerDuty-Signature is required');
  if (!source.secret) throw refuse('bad_signature', `source ${source.source} has no signing secret`);
  const expected = hmacHex(source.secret, raw);
  const given = header.split(',').map((part) => part.trim().replace(/^v1=/, ''));
  if (!given.some((sig) => equalHex(expected, sig))) {
    throw refuse('bad_signature', 'X-PagerDuty-Signature does not match the body');
  }
}

/**
 * `X-Dharma-Signature: sha256=<hex of hmac("<timestamp>.<raw body>")>` with `X-Dharma-Timestamp` in unix
 * seconds, no older than `maxAgeMs`. Returns the signature, which the caller records against replay.
 */
export function verifyGeneric(
  source: WebhookSource,
  timestamp: string | undefined,
  signature: string | undefined,
  raw: Buffer,
  maxAgeMs: number,
  nowMs: number,
): { signature: string; expiresAt: Date } {
  if (!timestamp || !signature) {
    throw refuse('missing_signature', 'X-Dharma-Timestamp and X-Dharma-Signature are required');
  }
  if (!/^\d{1,12}$/.test(timestamp)) throw refuse('bad_timestamp', 'X-Dharma-Timestamp must be unix seconds');
  const sentMs = Number(timestamp) * 1000;
  if (Math.abs(nowMs - sentMs) > maxAgeMs) {
    throw refuse('stale', `X-Dharma-Timestamp is more than ${maxAgeMs / 1000}s away from now`);
  }
  if (!source.secret) throw refuse('bad_signature', `source ${source.source} has no signing secret`);
  const given = signature.replace(/^sha256=/, '');
  if (!equalHex(hmacHex(source.secret, `${timestamp}.`, raw), given)) {
    throw refuse('bad_signature', 'X-Dharma-Signature does not match the timestamp and body');
  }
  return { signature: given.toLowerCase(), expiresAt: new Date(sentMs + maxAgeMs) };
}

/** PagerDuty signs the body alone: an event is accepted once, and refused as stale after this long. */
export const PAGERDUTY_EVENT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/**
 * The key a PagerDuty event is claimed under against replay (its id, per source), or undefined when the
 * body has none (validation then answers 400). Refuses an event that occurred too long ago to be claimed.
 */
export function pagerDutyEventClaim(
  source: string,
  body: unknown,
  nowMs: number,
): { key: string; expiresAt: Date } | undefined {
  const event = (body as { event?: { id?: unknown; occurred_at?: unknown } } | null)?.event;
  if (typeof event?.id !== 'string' || event.id === '') return undefined;
  const occurredMs = typeof event.occurred_at === 'string' ? Date.parse(event.occurred_at) : NaN;
  const fromMs = Number.isNaN(occurredMs) ? nowMs : occurredMs;
  if (nowMs - fromMs > PAGERDUTY_EVENT_MAX_AGE_MS) {
    throw refuse('stale', `the event occurred more than ${PAGERDUTY_EVENT_MAX_AGE_MS / 3_600_000}h ago`);
  }
  return { key: `pagerduty:${source}:${event.id}`, expiresAt: new Date(fromMs + PAGERDUTY_EVENT_MAX_AGE_MS) };
}

/**
 * Records a signature (or an event id) once across every API replica; false when it was already seen (a
 * replay). Rows past their expiry are refused as stale anyway, so they are swept here.
 */
export async function firstUse(db: pg.Pool, signature: string, expiresAt: Date): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO webhook_replays (signature, expires_at) VALUES ($1, $2) ON CONFLICT (signature) DO NOTHING`,
    [signature, expiresAt],
  );
  if (Math.random() < 0.01) await db.query('DELETE FROM webhook_replays WHERE expires_at < now()');
  return rowCount === 1;
}

/** Gives a claim back: the request was not accepted after all, so the sender's retry is not a replay. */
export async function releaseUse(db: pg.Pool, signature: string): Promise<void> {
  await db.query('DELETE FROM webhook_replays WHERE signature = $1', [signature]);
}
