-- Up Migration
-- Blueprints and their immutable versions. A blueprint is soft-deleted (deleted_at): deployments keep
-- referencing its versions, so those stay readable; only lists and new versions ignore it.
CREATE TABLE blueprints (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  latest_version text NOT NULL,
  created_by     text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  deleted_at     timestamptz
);
CREATE INDEX blueprints_live_idx ON blueprints (id) WHERE deleted_at IS NULL;

CREATE TABLE blueprint_versions (
  blueprint_id text NOT NULL REFERENCES blueprints (id),
  version      text NOT NULL,
  document     jsonb NOT NULL,
  hash         text NOT NULL,
  created_by   text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (blueprint_id, version)
);

-- Down Migration
DROP TABLE blueprint_versions;
DROP TABLE blueprints;
