-- Up Migration
-- Keyset pages of GET /v1/incidents order by (first_seen, id); filtered listings keep that order.
CREATE INDEX incidents_page_idx ON incidents (first_seen DESC, id DESC);
CREATE INDEX incidents_status_page_idx ON incidents (status, first_seen DESC);
CREATE INDEX incidents_target_page_idx ON incidents (target, first_seen DESC);
-- The /metrics collectors run on every scrape: open incidents are few among many resolved ones, and the
-- MTTR window reads only the last 24 h of resolutions.
CREATE INDEX incidents_open_idx ON incidents (severity) WHERE status <> 'resolved';
CREATE INDEX incidents_resolved_at_idx ON incidents (resolved_at) INCLUDE (severity, mttr_seconds)
  WHERE resolved_at IS NOT NULL;

-- Down Migration
DROP INDEX incidents_resolved_at_idx;
DROP INDEX incidents_open_idx;
DROP INDEX incidents_target_page_idx;
DROP INDEX incidents_status_page_idx;
DROP INDEX incidents_page_idx;
