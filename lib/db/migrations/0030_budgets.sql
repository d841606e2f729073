-- Up Migration
-- Monthly spending limit per environment (domain section 3). Amounts are monthly run rates: a deployment
-- reserves the monthly cost its change adds, and commits it once applied.
CREATE TABLE budgets (
  environment   text PRIMARY KEY,
  monthly_limit numeric(14, 2) NOT NULL CHECK (monthly_limit >= 0),
  currency      text NOT NULL DEFAULT 'USD',
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- One row per deployment's claim on its environment's budget. The id is chosen by the caller (the
-- saga's workflow id) so a retried reservation finds its first row instead of reserving twice.
CREATE TABLE budget_reservations (
  id            text PRIMARY KEY,
  environment   text NOT NULL,
  workflow_id   text,
  amount        numeric(14, 2) NOT NULL,
  currency      text NOT NULL DEFAULT 'USD',
  state         text NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'committed', 'released')),
  -- The decision taken when the row was created, replayed to retries: what was spent and the limit then.
  over_budget   boolean NOT NULL,
  spent_before  numeric(14, 2) NOT NULL,
  monthly_limit numeric(14, 2),
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX budget_reservations_environment_idx ON budget_reservations (environment) WHERE state <> 'released';

-- Down Migration
DROP TABLE budget_reservations;
DROP TABLE budgets;
