import { Gauge, type Registry } from 'prom-client';
import type { Severity } from '../alerts/alert.js';
import type { Queryable } from '../db/pool.js';

const SEVERITIES: readonly Severity[] = ['P1', 'P2', 'P3', 'P4'];

/** Resolutions older than this no longer count towards the reported MTTR. */
export const MTTR_WINDOW_HOURS = 24;

interface WarnLogger {
  warn(details: object, message: string): void;
}

/**
 * Incident gauges computed from PostgreSQL at scrape time. Incidents resolve in workers while the API serves
 * /metrics, so an in-process histogram would only ever see another process's events; the database is the
 * one place every replica agrees on. A failed query leaves the series absent for that scrape (stale numbers
 * would look healthy) and never fails the other metrics.
 */
export function registerIncidentMetrics(registry: Registry, db: Queryable, log: WarnLogger): void {
  new Gauge({
    name: 'dharma_incident_mttr_seconds',
    help: `Time from first alert to verified resolution of incidents resolved in the last ${MTTR_WINDOW_HOURS} h, by severity (stat: mean, p50).`,
    labelNames: ['severity', 'stat'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const { rows } = await db.query<{ severity: Severity; mean: number; p50: number }>(
          `SELECT severity, avg(mttr_seconds) AS mean,
                  percentile_cont(0.5) WITHIN GROUP (ORDER BY mttr_seconds) AS p50
             FROM incidents
            WHERE resolved_at IS NOT NULL AND resolved_at >= now() - make_interval(hours => $1)
            GROUP BY severity`,
          [MTTR_WINDOW_HOURS],
        );
        for (const row of rows) {
          this.set({ severity: row.severity, stat: 'mean' }, row.mean);
          this.set({ severity: row.severity, stat: 'p50' }, row.p50);
        }
      } catch (error) {
        log.warn({ err: error }, 'incident MTTR metric query failed');
      }
    },
  });

  new Gauge({
    name: 'dharma_incidents_open',
    help: 'Incidents not resolved yet (any status but resolved), by severity.',
    labelNames: ['severity'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const { rows } = await db.query<{ severity: Severity; open: number }>(
          `SELECT severity, count(*)::int AS open FROM incidents WHERE status <> 'resolved' GROUP BY severity`,
        );
        for (const severity of SEVERITIES) {
          this.set({ severity }, rows.find((row) => row.severity === severity)?.open ?? 0);
        }
      } catch (error) {
        log.warn({ err: error }, 'open incidents metric query failed');
      }
    },
  });
}
