import { Type, type Static } from 'typebox';
import {
  labelFingerprint,
  safeFingerprint,
  severityFrom,
  targetFrom,
  type NormalizedAlert,
} from '../../lib/alerts/alert.js';

const StringMap = Type.Record(Type.String(), Type.String());

/** One alert as Alertmanager and Grafana send it (Prometheus alert shape). */
export const PromAlert = Type.Object({
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  labels: Type.Object({ alertname: Type.String({ minLength: 1 }) }, { additionalProperties: Type.String() }),
  annotations: Type.Optional(StringMap),
  startsAt: Type.String({ minLength: 1 }),
  endsAt: Type.Optional(Type.String()),
  generatorURL: Type.Optional(Type.String()),
  fingerprint: Type.Optional(Type.String()),
});

/** Alertmanager webhook payload, version 4: one notification per group of alerts. */
export const AlertmanagerPayload = Type.Object({
  version: Type.Literal('4'),
  groupKey: Type.String(),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  receiver: Type.String(),
  alerts: Type.Array(PromAlert, { minItems: 1, maxItems: 1000 }),
});

/** Alertmanager's zero time: an alert still firing has no end. */
const ZERO_TIME = /^0001-01-01/;

export function normalizePromAlert(alert: Static<typeof PromAlert>, source: string): NormalizedAlert {
  const labels: Record<string, string> = { ...alert.labels };
  const endsAt = alert.endsAt && !ZERO_TIME.test(alert.endsAt) ? alert.endsAt : undefined;
  return {
    source,
    fingerprint: alert.fingerprint
      ? safeFingerprint(alert.fingerprint)
      : labelFingerprint(alert.labels.alertname, labels),
    status: alert.status,
    alertName: alert.labels.alertname,
    labels,
    annotations: alert.annotations ?? {},
    severity: severityFrom(labels.severity),
    target: targetFrom(labels),
    startsAt: alert.startsAt,
    ...(endsAt ? { endsAt } : {}),
  };
}

export function normalizeAlertmanager(
  payload: Static<typeof AlertmanagerPayload>,
  source: string,
): NormalizedAlert[] {
  return payload.alerts.map((alert) => normalizePromAlert(alert, source));
}
