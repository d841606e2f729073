import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Client, WorkflowHandle } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import type pg from 'pg';
import type { ActivityDeps } from '../../activities/deps.js';
import type { PreparedWorkspace, PrepareWorkspaceInput } from '../../activities/terraform/contract.js';
import { createTerraformActivities } from '../../activities/terraform/index.js';
import { WarmProviders } from '../../activities/terraform/warm-providers.js';
import { createBlueprint } from '../../lib/blueprints/repository.js';
import { createDbPool } from '../../lib/db/pool.js';
import type { BlueprintInput } from '../../lib/blueprints/schema.js';
import { createLogger } from '../../lib/logger.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices, type TestServices } from '../harness/services.js';
import { startTestWorker, testClient, uniquePrefix } from '../harness/temporal.js';
import { terraformStep, type TerraformStep } from './fixtures/terraform-step-workflow.js';

export interface TerraformFixture {
  services: TestServices;
  client: Client;
  db: pg.Pool;
  /** The default terraform task queue (one worker). */
  queue: string;
  /** Starts another terraform worker, with its own database pool and no warm providers, on a queue of its own. */
  addWorker(): Promise<string>;
  start(step: TerraformStep, input: unknown, queue?: string): Promise<WorkflowHandle<typeof terraformStep>>;
  /** Runs the step and returns its result and the size of the workflow's whole history in bytes. */
  run<T>(step: TerraformStep, input: unknown, queue?: string): Promise<{ result: T; historyBytes: number }>;
  blueprint(input: BlueprintInput): Promise<string>;
  /** prepareWorkspace for a new deployment of version 1.0.0 in dev, on a stack of its own. */
  prepare(blueprintId: string, overrides?: Partial<PrepareWorkspaceInput>): Promise<PreparedWorkspace>;
}

/** The input of prepareWorkspace for a new deployment of version 1.0.0 in dev, on a stack of its own. */
export function prepareInput(
  blueprintId: string,
  overrides: Partial<PrepareWorkspaceInput> = {},
): PrepareWorkspaceInput {
  return {
    deploymentId: `dep-${randomUUID().slice(0, 8)}`,
    blueprintId,
    blueprintVersion: '1.0.0',
    environment: 'dev',
    stack: `stack-${randomUUID().slice(0, 8)}`,
    ...overrides,
  };
}

/** A fresh database, a workflow worker for the step workflow and a terraform worker with real tofu. */
export async function terraformFixture(): Promise<TerraformFixture> {
  const services = await testServices();
  const client = await testClient(services);
  const { db } = await freshDatabase(services);
  const prefix = uniquePrefix('tf');
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./fixtures/terraform-step-workflow.ts', import.meta.url)),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  const orchestration = `${prefix}-orchestration`;
  await startTestWorker(services, { taskQueue: orchestration, workflows: false, workflowBundle });

  let workers = 0;
  const addWorker = async () => {
    workers++;
    const queue = `${prefix}-${workers}-terraform`;
    // Each worker its own pool, as separate processes would have: they share only PostgreSQL.
    const pool = workers === 1 ? db : createDbPool(db.options.connectionString!, 3);
    const logger = createLogger('test');
    // The first worker has warm provider servers, as those of `dharma up` by default; the others run
    // tofu as TOFU_WARM_PROVIDERS=0 does, so runs that hop between workers mix both.
    const providers = workers === 1 ? new WarmProviders({ stock: 1, idleMs: 60_000, logger }) : undefined;
    const deps: ActivityDeps = {
      db: pool,
      temporal: client,
      logger,
      env: {},
      ...(providers ? { providers } : {}),
    };
    const worker = await startTestWorker(services, {
      taskQueue: queue,
      workflows: false,
      activities: createTerraformActivities(deps),
    });
    void worker.done
      .catch(() => undefined)
      .then(async () => {
        await providers?.close();
        if (pool !== db) await pool.end();
      });
    return queue;
  };
  const queue = await addWorker();

  const start = (step: TerraformStep, input: unknown, on = queue) =>
    client.workflow.start(terraformStep, {
      taskQueue: orchestration,
      workflowId: `tf-${step}-${randomUUID()}`,
      args: [step, input, on],
    });

  const run = async <T>(step: TerraformStep, input: unknown, on = queue) => {
    const handle = await start(step, input, on);
    const result = (await handle.result()) as T;
    const history = await handle.fetchHistory();
    return { result, historyBytes: JSON.stringify(history).length };
  };

  return {
    services,
    client,
    db,
    queue,
    addWorker,
    start,
    run,
    async prepare(blueprintId, overrides) {
      return (await run<PreparedWorkspace>('prepareWorkspace', prepareInput(blueprintId, overrides))).result;
    },
    async blueprint(input) {
      const { blueprint } = await createBlueprint(db, input, 'test');
      return blueprint.id;
    },
  };
}
