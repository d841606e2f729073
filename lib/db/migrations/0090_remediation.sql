-- Up Migration
-- Playbook execution (issue 5): incidents move through remediation states, remember their playbook and,
-- when a fix did not work, the failure report handed to on-call.
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check CHECK (status IN (
  'detected', 'triaged', 'awaiting-approval', 'remediating', 'verifying', 'escalated', 'resolved'));
ALTER TABLE incidents ADD COLUMN playbook text;
ALTER TABLE incidents ADD COLUMN failure_report jsonb;

-- One row per remediation started on a target: the per-target rate limit counts them. `dedupe_key` is the
-- reserving activity's key, so a retried reservation is the same row, never a second one.
CREATE TABLE remediation_attempts (
  id          bigserial PRIMARY KEY,
  target      text NOT NULL,
  incident_id text NOT NULL REFERENCES incidents (id) ON DELETE CASCADE,
  playbook    text NOT NULL,
  started_at  timestamptz NOT NULL,
  dedupe_key  text NOT NULL UNIQUE
);
CREATE INDEX remediation_attempts_target_idx ON remediation_attempts (target, started_at DESC);

-- Down Migration
DROP TABLE remediation_attempts;
ALTER TABLE incidents DROP COLUMN failure_report;
ALTER TABLE incidents DROP COLUMN playbook;
ALTER TABLE incidents DROP CONSTRAINT incidents_status_check;
ALTER TABLE incidents ADD CONSTRAINT incidents_status_check CHECK (status IN (
  'detected', 'triaged', 'escalated', 'resolved'));
