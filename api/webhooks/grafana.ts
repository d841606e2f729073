import { Type, type Static } from 'typebox';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import { normalizePromAlert, PromAlert } from './alertmanager.js';

/** Grafana unified alerting contact-point webhook: Alertmanager's shape plus Grafana's own fields. */
export const GrafanaPayload = Type.Object({
  receiver: Type.String(),
  status: Type.Union([Type.Literal('firing'), Type.Literal('resolved')]),
  orgId: Type.Optional(Type.Integer()),
  alerts: Type.Array(
    Type.Intersect([
      PromAlert,
      Type.Object({
        values: Type.Optional(Type.Union([Type.Record(Type.String(), Type.Number()), Type.Null()])),
        dashboardURL: Type.Optional(Type.String()),
        panelURL: Type.Optional(Type.String()),
      }),
    ]),
    { minItems: 1, maxItems: 1000 },
  ),
});

export function normalizeGrafana(payload: Static<typeof GrafanaPayload>, source: string): NormalizedAlert[] {
  return payload.alerts.map((alert) => normalizePromAlert(alert, source));
}
