import { randomUUID } from 'node:crypto';

/** Payloads shaped like the public formats (Alertmanager v4, Grafana contact point, PagerDuty v3). */
export function alertmanagerPayload(
  alerts: { fingerprint: string; alertname?: string; status?: 'firing' | 'resolved'; severity?: string }[],
) {
  return {
    version: '4',
    groupKey: '{}:{alertname="InstanceDown"}',
    truncatedAlerts: 0,
    status: alerts.every((a) => a.status === 'resolved') ? 'resolved' : 'firing',
    receiver: 'dharma',
    groupLabels: { alertname: 'InstanceDown' },
    commonLabels: { job: 'node' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.local:9093',
    alerts: alerts.map((a) => ({
      status: a.status ?? 'firing',
      labels: {
        alertname: a.alertname ?? 'InstanceDown',
        instance: `host-${a.fingerprint}:9100`,
        job: 'node',
        severity: a.severity ?? 'critical',
      },
      annotations: { summary: 'Instance down', description: 'has been down for more than 5 minutes' },
      startsAt: '2025-06-01T10:00:00.000Z',
      endsAt: a.status === 'resolved' ? '2025-06-01T10:07:00.000Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.local:9090/graph?g0.expr=up+%3D%3D+0',
      fingerprint: a.fingerprint,
    })),
  };
}

export function grafanaPayload(fingerprint: string) {
  return {
    receiver: 'dharma',
    status: 'firing',
    orgId: 1,
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'HighCPU', grafana_folder: 'Infra', service: 'checkout', severity: 'warning' },
        annotations: { summary: 'CPU > 90% for 15 minutes' },
        startsAt: '2025-06-01T10:00:00Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://grafana.local/alerting/grafana/abc/view',
        fingerprint,
        silenceURL: 'http://grafana.local/alerting/silence/new',
        dashboardURL: '',
        panelURL: '',
        values: { B: 93.5, C: 1 },
        valueString: "[ var='B' labels={} value=93.5 ]",
      },
    ],
    groupLabels: { alertname: 'HighCPU' },
    commonLabels: { alertname: 'HighCPU' },
    commonAnnotations: {},
    externalURL: 'http://grafana.local/',
    version: '1',
    groupKey: '{}:{alertname="HighCPU"}',
    truncatedAlerts: 0,
    title: '[FIRING:1] HighCPU',
    state: 'alerting',
    message: 'CPU high',
  };
}

export function pagerDutyPayload(
  incidentKey: string,
  eventType = 'incident.triggered',
  occurredAt = new Date().toISOString(),
) {
  return {
    event: {
      id: randomUUID(),
      event_type: eventType,
      resource_type: 'incident',
      occurred_at: occurredAt,
      agent: { html_url: 'https://acme.pagerduty.com/users/PLH1HKV', id: 'PLH1HKV', type: 'user_reference' },
      client: null,
      data: {
        id: 'PGR0VU2',
        type: 'incident',
        self: 'https://api.pagerduty.com/incidents/PGR0VU2',
        html_url: 'https://acme.pagerduty.com/incidents/PGR0VU2',
        number: 2,
        status: 'triggered',
        incident_key: incidentKey,
        created_at: '2025-06-01T10:00:00Z',
        title: 'A little bump in the road',
        service: { html_url: '', id: 'PF9KMXH', self: '', summary: 'API Service', type: 'service_reference' },
        assignees: [],
        escalation_policy: { id: 'PJ2UFAC', summary: 'Default', type: 'escalation_policy_reference' },
        teams: [],
        priority: { id: 'PSO75BM', summary: 'P2', type: 'priority_reference' },
        urgency: 'high',
        conference_bridge: null,
        resolve_reason: null,
      },
    },
  };
}
