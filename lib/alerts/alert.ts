import { createHash } from 'node:crypto';

export const ALERT_SOURCES = ['alertmanager', 'grafana', 'pagerduty', 'generic'] as const;
export type AlertSourceKind = (typeof ALERT_SOURCES)[number];

export type Severity = 'P1' | 'P2' | 'P3' | 'P4';
export type AlertStatus = 'firing' | 'resolved';

/** One alert as every receiver hands it on, whatever the monitoring system that sent it. */
export interface NormalizedAlert {
  /** The configured source name (a row of webhook_sources). */
  source: string;
  fingerprint: string;
  status: AlertStatus;
  alertName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  severity: Severity;
  /** The resource the alert is about. */
  target: string;
  startsAt: string;
  endsAt?: string;
}

const SEVERITY_BY_LABEL: Readonly<Record<string, Severity>> = {
  critical: 'P1',
  page: 'P1',
  p1: 'P1',
  error: 'P2',
  high: 'P2',
  p2: 'P2',
  warning: 'P3',
  p3: 'P3',
  info: 'P4',
  low: 'P4',
  p4: 'P4',
};

/** Severity from a `severity` label (or PagerDuty priority); anything unknown is treated as a warning. */
export function severityFrom(value: string | undefined, fallback: Severity = 'P3'): Severity {
  return (value && SEVERITY_BY_LABEL[value.trim().toLowerCase()]) || fallback;
}

const TARGET_LABELS = ['instance', 'service', 'pod', 'resource'] as const;

export function targetFrom(labels: Record<string, string>, fallback = 'unknown'): string {
  for (const name of TARGET_LABELS) {
    const value = labels[name];
    if (value) return value;
  }
  return fallback;
}

/**
 * Fingerprints end up in workflow ids (`incident-<fingerprint>`): a source's own fingerprint is kept
 * when it is id-safe, anything else is hashed so the id stays short and printable.
 */
export function safeFingerprint(own: string): string {
  return /^[A-Za-z0-9._-]{1,64}$/.test(own) ? own : sha(own);
}

/** A stable fingerprint when the source gives none: alert name plus labels in sorted order. */
export function labelFingerprint(alertName: string, labels: Record<string, string>): string {
  const sorted = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`);
  return sha([alertName, ...sorted].join('\n'));
}

function sha(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

export const incidentWorkflowId = (fingerprint: string) => `incident-${fingerprint}`;
