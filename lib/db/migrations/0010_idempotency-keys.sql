-- Up Migration
-- Idempotency-Key of API POSTs. The row is inserted "in_progress" before the request runs, so two
-- concurrent duplicates cannot both start a workflow; only a successful (2xx) response is kept and
-- replayed, anything else deletes the row so the client can retry.
CREATE TABLE idempotency_keys (
  principal       text NOT NULL,
  key             text NOT NULL,
  method          text NOT NULL,
  path            text NOT NULL,
  request_hash    text NOT NULL,
  status          text NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'completed')),
  response_status integer,
  response_body   text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  PRIMARY KEY (principal, key)
);
CREATE INDEX idempotency_keys_expires_idx ON idempotency_keys (expires_at);

-- Down Migration
DROP TABLE idempotency_keys;
