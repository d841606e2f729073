-- Up Migration
-- Credentials of alert sources, read by the API with a short cache so edits apply without a restart.
-- `secret` is the shared HMAC secret (pagerduty, generic); `key_hash` the sha256 hex of a bearer key
-- (alertmanager, grafana): the key itself is never stored.
CREATE TABLE webhook_sources (
  source     text PRIMARY KEY,
  kind       text NOT NULL CHECK (kind IN ('alertmanager', 'grafana', 'pagerduty', 'generic')),
  secret     text,
  key_hash   text,
  enabled    boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (secret IS NOT NULL OR key_hash IS NOT NULL)
);

-- Signatures already accepted, kept until they would be refused as stale anyway; shared by every API
-- replica so a replay to another replica is refused too.
CREATE TABLE webhook_replays (
  signature  text PRIMARY KEY,
  expires_at timestamptz NOT NULL
);
CREATE INDEX webhook_replays_expires_idx ON webhook_replays (expires_at);

CREATE TABLE incidents (
  id            text PRIMARY KEY,
  fingerprint   text NOT NULL,
  source        text NOT NULL,
  alert_name    text NOT NULL,
  severity      text NOT NULL CHECK (severity IN ('P1', 'P2', 'P3', 'P4')),
  target        text NOT NULL,
  status        text NOT NULL CHECK (status IN ('detected', 'triaged', 'escalated', 'resolved')),
  first_seen    timestamptz NOT NULL,
  last_seen     timestamptz NOT NULL,
  resolved_at   timestamptz,
  mttr_seconds  double precision,
  notifications integer NOT NULL DEFAULT 0
);
CREATE INDEX incidents_first_seen_idx ON incidents (first_seen DESC);
CREATE INDEX incidents_fingerprint_idx ON incidents (fingerprint);

-- One row per step, decision or notification; `dedupe_key` (the writing activity's key) makes retries
-- and workflow resets add nothing.
CREATE TABLE incident_timeline (
  id          bigserial PRIMARY KEY,
  incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  at          timestamptz NOT NULL,
  kind        text NOT NULL,
  detail      jsonb NOT NULL DEFAULT '{}',
  dedupe_key  text NOT NULL UNIQUE
);
CREATE INDEX incident_timeline_incident_idx ON incident_timeline (incident_id, at);

-- Down Migration
DROP TABLE incident_timeline;
DROP TABLE incidents;
DROP TABLE webhook_replays;
DROP TABLE webhook_sources;
