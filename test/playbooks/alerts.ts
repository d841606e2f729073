import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import { labelFingerprint, severityFrom, targetFrom } from '../../lib/alerts/alert.js';

/** A normalized Alertmanager alert as the receiver builds it (severity and target from the labels). */
export function alert(
  alertName: string,
  labels: Record<string, string>,
  annotations: Record<string, string> = {},
): NormalizedAlert {
  const all = { alertname: alertName, ...labels };
  return {
    source: 'alertmanager',
    fingerprint: labelFingerprint(alertName, all),
    status: 'firing',
    alertName,
    labels: all,
    annotations,
    severity: severityFrom(labels.severity),
    target: targetFrom(all),
    startsAt: '2026-11-24T21:00:00.000Z',
  };
}
