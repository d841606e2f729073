import { Type, type Static } from 'typebox';
import {
  labelFingerprint,
  safeFingerprint,
  severityFrom,
  targetFrom,
  type NormalizedAlert,
} from '../../lib/alerts/alert.js';

/** Dharma's own alert format for sources without a native integration. */
export const GenericPayload = Type.Object({
  alertName: Type.String({ minLength: 1, maxLength: 200 }),
  status: Type.Optional(Type.Union([Type.Literal('firing'), Type.Literal('resolved')])),
  fingerprint: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  severity: Type.Optional(Type.String({ description: 'critical|page|error|high|warning|info or P1..P4' })),
  labels: Type.Optional(Type.Record(Type.String(), Type.String())),
  annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
  target: Type.Optional(Type.String({ minLength: 1 })),
  startsAt: Type.Optional(Type.String({ format: 'date-time' })),
  endsAt: Type.Optional(Type.String({ format: 'date-time' })),
});

export function normalizeGeneric(
  payload: Static<typeof GenericPayload>,
  source: string,
  receivedAt: Date,
): NormalizedAlert[] {
  const labels = payload.labels ?? {};
  return [
    {
      source,
      fingerprint: payload.fingerprint
        ? safeFingerprint(payload.fingerprint)
        : labelFingerprint(payload.alertName, labels),
      status: payload.status ?? 'firing',
      alertName: payload.alertName,
      labels,
      annotations: payload.annotations ?? {},
      severity: severityFrom(payload.severity ?? labels.severity),
      target: payload.target ?? targetFrom(labels),
      startsAt: payload.startsAt ?? receivedAt.toISOString(),
      ...(payload.endsAt ? { endsAt: payload.endsAt } : {}),
    },
  ];
}
