import { createHash } from 'node:crypto';
import type { AlertSourceKind } from './alert.js';

/** A row of webhook_sources: who may send alerts, and how each request proves it. */
export interface WebhookSource {
  source: string;
  kind: AlertSourceKind;
  /** Shared HMAC secret (pagerduty, generic). */
  secret: string | null;
  /** sha256 hex of the bearer key (alertmanager, grafana); the key itself is never stored. */
  keyHash: string | null;
  enabled: boolean;
}

/** Source names as the `?source=` query and the file accept them. */
export const SOURCE_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$';

/** Which credential each kind of receiver checks. */
export const CREDENTIAL_OF: Readonly<Record<AlertSourceKind, 'key' | 'secret'>> = {
  alertmanager: 'key',
  grafana: 'key',
  pagerduty: 'secret',
  generic: 'secret',
};

export const keyHash = (key: string) => createHash('sha256').update(key).digest('hex');
