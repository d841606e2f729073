-- Up Migration
-- The (non-secret) variable values a deployment was planned with: a rollback, the undo of a failed
-- update and the drift check plan the deployed version with the same values, not the defaults.
ALTER TABLE deployments ADD COLUMN variables jsonb;

-- Down Migration
ALTER TABLE deployments DROP COLUMN variables;
