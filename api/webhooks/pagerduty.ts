import { Type, type Static } from 'typebox';
import { safeFingerprint, severityFrom, type NormalizedAlert } from '../../lib/alerts/alert.js';

const Reference = Type.Object({ id: Type.String(), summary: Type.Optional(Type.String()) });

/** PagerDuty v3 webhook: one event about one incident. */
export const PagerDutyPayload = Type.Object({
  event: Type.Object({
    id: Type.String({ minLength: 1 }),
    event_type: Type.String({ pattern: '^incident\\.' }),
    resource_type: Type.Literal('incident'),
    occurred_at: Type.String({ minLength: 1 }),
    data: Type.Object({
      id: Type.String({ minLength: 1 }),
      type: Type.Literal('incident'),
      title: Type.String({ minLength: 1 }),
      status: Type.Optional(Type.String()),
      urgency: Type.Optional(Type.Union([Type.Literal('high'), Type.Literal('low')])),
      incident_key: Type.Optional(Type.Union([Type.String(), Type.Null()])),
      created_at: Type.Optional(Type.String()),
      html_url: Type.Optional(Type.String()),
      service: Type.Optional(Reference),
      priority: Type.Optional(Type.Union([Reference, Type.Null()])),
    }),
  }),
});

/**
 * `incident.resolved` resolves; every other incident event (triggered, acknowledged, reopened, ...) is a
 * notification about a firing incident. Priority (P1..P5) wins over urgency (high pages, low is a ticket).
 */
export function normalizePagerDuty(
  payload: Static<typeof PagerDutyPayload>,
  source: string,
): NormalizedAlert[] {
  const { event } = payload;
  const { data } = event;
  const priority = data.priority?.summary;
  const urgencySeverity = data.urgency === 'low' ? 'P3' : 'P1';
  const labels: Record<string, string> = {
    incident_id: data.id,
    event_type: event.event_type,
    ...(data.service?.summary ? { service: data.service.summary } : {}),
    ...(data.urgency ? { urgency: data.urgency } : {}),
    ...(priority ? { priority } : {}),
  };
  const resolved = event.event_type === 'incident.resolved';
  return [
    {
      source,
      fingerprint: safeFingerprint(data.incident_key || data.id),
      status: resolved ? 'resolved' : 'firing',
      alertName: data.title,
      labels,
      annotations: data.html_url ? { url: data.html_url } : {},
      severity: priority
        ? severityFrom(priority === 'P5' ? 'P4' : priority, urgencySeverity)
        : urgencySeverity,
      target: data.service?.summary ?? data.service?.id ?? 'unknown',
      startsAt: data.created_at ?? event.occurred_at,
      ...(resolved ? { endsAt: event.occurred_at } : {}),
    },
  ];
}
