-- Up Migration
-- One row per workflow run: a summary the API and reports read without asking Temporal.
CREATE TABLE runs (
  workflow_id   text PRIMARY KEY,
  run_id        text NOT NULL,
  workflow_type text NOT NULL,
  requester     text,
  environment   text,
  target        text,
  state         text NOT NULL,
  step          text,
  result        jsonb,
  failure       text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_type_state_idx ON runs (workflow_type, state);
CREATE INDEX runs_updated_at_idx ON runs (updated_at DESC);

-- Down Migration
DROP TABLE runs;
