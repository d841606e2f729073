-- Up Migration
-- One row per provision run (id = its workflow id), mirrored by the saga at every state change, so the
-- API answers from PostgreSQL and the next deployment of a stack finds the version to roll back to.
CREATE TABLE deployments (
  id            text PRIMARY KEY,
  blueprint_id  text NOT NULL,
  version       text NOT NULL,
  environment   text NOT NULL,
  stack         text NOT NULL,
  state         text NOT NULL CHECK (state IN ('queued', 'validating', 'planning', 'awaiting_approval',
                  'applying', 'verifying', 'completed', 'failed', 'rolling_back', 'rolled_back')),
  step          text,
  plan_hash     text,
  plan_json_ref text,
  plan_summary  jsonb,
  policy        jsonb,
  cost          jsonb,
  risk          jsonb,
  approval      jsonb,
  outputs       jsonb,
  failure       text,
  requester     text NOT NULL,
  approver      text,
  run_id        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  completed_at  timestamptz
);
CREATE INDEX deployments_stack_completed_idx ON deployments (stack, environment, completed_at DESC)
  WHERE state = 'completed';

-- The topology (CMDB) of deployed resources: one node per resource address of a stack in an environment,
-- owned by the deployment that last applied it, and the dependsOn edges between them.
CREATE TABLE topology_nodes (
  stack         text NOT NULL,
  environment   text NOT NULL,
  address       text NOT NULL,
  type          text NOT NULL,
  provider_id   text,
  deployment_id text NOT NULL,
  registered_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stack, environment, address)
);
CREATE INDEX topology_nodes_deployment_idx ON topology_nodes (deployment_id);

CREATE TABLE topology_edges (
  stack         text NOT NULL,
  environment   text NOT NULL,
  from_address  text NOT NULL,
  to_address    text NOT NULL,
  PRIMARY KEY (stack, environment, from_address, to_address),
  FOREIGN KEY (stack, environment, from_address)
    REFERENCES topology_nodes (stack, environment, address) ON DELETE CASCADE,
  FOREIGN KEY (stack, environment, to_address)
    REFERENCES topology_nodes (stack, environment, address) ON DELETE CASCADE
);

-- Down Migration
DROP TABLE topology_edges;
DROP TABLE topology_nodes;
DROP TABLE deployments;
