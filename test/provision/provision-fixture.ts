import { randomUUID } from 'node:crypto';
import type { Client, WorkflowHandle } from '@temporalio/client';
import type pg from 'pg';
import type { ActivityDeps } from '../../activities/deps.js';
import { createCostActivities } from '../../activities/store/cost.js';
import type { PriceTable } from '../../lib/cost/price-table.js';
import { latestPriceTable } from '../../lib/cost/prices/index.js';
import { createBlueprint } from '../../lib/blueprints/repository.js';
import type { Env } from '../../lib/config.js';
import type { BlueprintInput } from '../../lib/blueprints/schema.js';
import { createLogger } from '../../lib/logger.js';
import { POOLS, taskQueueFor, type PoolName } from '../../lib/pools.js';
import { activitiesForPool } from '../../workers/activities-for-pool.js';
import {
  deploymentWorkflowId,
  type ProvisionInput,
  type ProvisionSettings,
} from '../../workflows/provision/contract.js';
import type { provision } from '../../workflows/provision/workflow.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices, type TestServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';

export interface ProvisionFixture {
  services: TestServices;
  client: Client;
  db: pg.Pool;
  databaseUrl: string;
  prefix: string;
  settings: ProvisionSettings;
  blueprint(input: Omit<BlueprintInput, 'name'> & { name?: string }): Promise<string>;
  /** Starts a run as `alice` with the fixture's settings; `settings` overrides some (e.g. a short approval timeout). */
  start(
    input: Omit<ProvisionInput, 'settings' | 'requester'> & {
      requester?: string;
      settings?: Partial<ProvisionSettings>;
    },
  ): Promise<WorkflowHandle<typeof provision>>;
}

// Local resources cost nothing in the real tables, so no local run could ever be over budget: this table
// prices terraform_data at $0.01/h ($7.30/month) and the estimate, reservation and gate run for real.
const latest = latestPriceTable();
export const PRICED_LOCALLY: PriceTable = {
  ...latest,
  version: 'test-priced-terraform-data',
  source: 'test fixture',
  resources: {
    ...latest.resources,
    terraform_data: { components: [{ name: 'marker', unit: 'hour', rate: 0.01 }] },
  },
  localPrefixes: latest.localPrefixes.filter((prefix) => prefix !== 'terraform_data'),
};

export interface ProvisionFixtureOptions {
  /** Prices the plans with this table instead of COST_PRICE_TABLE's (local resources cost nothing there). */
  priceTable?: PriceTable;
  /** Settings of some pools' workers besides DATABASE_URL, e.g. another POLICY_WASM for the trust pool. */
  env?: Partial<Record<PoolName, Env>>;
}

/**
 * A fresh database and one real worker per pool (the production activity factories, real tofu against
 * the local provider mirror, state in the fresh database), on a task queue prefix of their own.
 */
export async function provisionFixture(options: ProvisionFixtureOptions = {}): Promise<ProvisionFixture> {
  const services = await testServices();
  const client = await testClient(services);
  const { db, url } = await freshDatabase(services);
  const prefix = uniquePrefix('prov');
  const logger = createLogger('provision-test', {});
  logger.level = 'warn';
  const deps: ActivityDeps = { db, temporal: client, logger, env: { DATABASE_URL: url } };
  for (const pool of POOLS) {
    await startTestWorker(services, {
      taskQueue: taskQueueFor(pool, prefix),
      workflows: pool === 'orchestration',
      activities: {
        ...activitiesForPool(pool, { ...deps, env: { ...deps.env, ...options.env?.[pool] } }),
        ...(pool === 'orchestration' && options.priceTable
          ? createCostActivities(deps, options.priceTable)
          : {}),
      },
    });
  }
  const settings: ProvisionSettings = { approvalEnvironments: ['production'], driftInterval: '6h' };
  return {
    services,
    client,
    db,
    databaseUrl: url,
    prefix,
    settings,
    async blueprint(input) {
      const name = input.name ?? `bp-${randomUUID().slice(0, 8)}`;
      const { blueprint } = await createBlueprint(db, { ...input, name }, 'alice');
      return blueprint.id;
    },
    start(input) {
      return client.workflow.start('provision', {
        taskQueue: taskQueueFor('orchestration', prefix),
        workflowId: deploymentWorkflowId(input.blueprintId, input.environment, randomUUID().slice(0, 8)),
        args: [
          {
            requester: 'alice',
            ...input,
            settings: { ...settings, ...input.settings },
          } satisfies ProvisionInput,
        ],
      }) as Promise<WorkflowHandle<typeof provision>>;
    },
  };
}
