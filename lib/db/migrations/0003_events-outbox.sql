-- Up Migration
-- Domain events (envelope of domain section 9) written in the same database as the state they describe;
-- a relay publishes rows with published_at NULL. Consumers deduplicate on event_id (at-least-once).
CREATE TABLE events_outbox (
  event_id       uuid PRIMARY KEY,
  event_type     text NOT NULL,
  "timestamp"    timestamptz NOT NULL,
  aggregate_id   text NOT NULL,
  aggregate_type text NOT NULL,
  version        integer NOT NULL DEFAULT 1,
  data           jsonb NOT NULL DEFAULT '{}'::jsonb,
  metadata       jsonb NOT NULL DEFAULT '{}'::jsonb,
  published_at   timestamptz
);
CREATE INDEX events_outbox_unpublished_idx ON events_outbox ("timestamp") WHERE published_at IS NULL;
CREATE INDEX events_outbox_aggregate_idx ON events_outbox (aggregate_type, aggregate_id, version);

-- Down Migration
DROP TABLE events_outbox;
