-- Up Migration
-- Content-addressed blobs the terraform pool produces (configuration files, saved plans, plan JSON, logs).
-- Workflows carry only the ref: plans and logs would bloat history and exceed Temporal's payload limit.
-- The ref is derived from the content's SHA-256, so storing the same bytes twice is a no-op.
CREATE TABLE artifacts (
  ref        text PRIMARY KEY,
  kind       text NOT NULL,
  media_type text NOT NULL,
  size_bytes integer NOT NULL CHECK (size_bytes >= 0),
  content    bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per deployment's working copy of a stack in an environment. The state itself lives in the
-- pg backend's schema (state_schema), shared by every workspace of the same stack and environment.
CREATE TABLE workspaces (
  workspace_id  text PRIMARY KEY,
  deployment_id text NOT NULL,
  blueprint_id  text NOT NULL,
  version       text NOT NULL,
  environment   text NOT NULL,
  stack         text NOT NULL,
  state_schema  text NOT NULL,
  config_ref    text NOT NULL REFERENCES artifacts (ref),
  config_hash   text NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  cleaned_at    timestamptz
);
CREATE INDEX workspaces_stack_idx ON workspaces (stack, environment);
CREATE INDEX workspaces_deployment_idx ON workspaces (deployment_id);

-- Down Migration
DROP TABLE workspaces;
DROP TABLE artifacts;
