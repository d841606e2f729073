import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one app instance, in its own registry (tests build several apps per process). */
export interface ApiMetrics {
  registry: Registry;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
  authFailures: Counter<'reason'>;
  accessDecisions: Counter<'decision'>;
}

export function createApiMetrics(): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    requestDuration: new Histogram({
      name: 'dharma_api_request_duration_seconds',
      help: 'API request latency by route template and status code.',
      labelNames: ['method', 'route', 'status'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    authFailures: new Counter({
      name: 'dharma_api_auth_failures_total',
      help: 'Refused bearer tokens by reason (expired, bad_signature, algorithm_not_allowed, ...).',
      labelNames: ['reason'],
      registers: [registry],
    }),
    accessDecisions: new Counter({
      name: 'dharma_api_zero_trust_decisions_total',
      help: 'Zero-trust decisions on privileged routes by verdict.',
      labelNames: ['decision'],
      registers: [registry],
    }),
  };
}
