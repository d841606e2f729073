import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  DefaultLogger,
  NativeConnection,
  Runtime,
  Worker,
  type WorkerOptions,
} from '@temporalio/worker';
import type { TestServices } from './services.js';
import { onCleanup } from './cleanup.js';

const WORKFLOWS_PATH = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
let bundle: ReturnType<typeof bundleWorkflowCode> | undefined;
let runtimeInstalled = false;

/** Worker state changes at INFO would drown the test report; a test that wants them installs its own. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
  } catch {
    // Already installed by the code under test (e.g. runPools): keep its settings.
  }
}

/** The workflow bundle, built once per test process. */
export function workflowBundle(): ReturnType<typeof bundleWorkflowCode> {
  bundle ??= bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  return bundle;
}

/** A fresh task queue prefix per test, so tests sharing one server never steal each other's tasks. */
export function uniquePrefix(label = 't'): string {
  return `${label}-${randomUUID().slice(0, 8)}`;
}

export async function testClient(services: TestServices): Promise<Client> {
  const connection = await Connection.connect({ address: services.temporalAddress });
  onCleanup(() => connection.close());
  return new Client({ connection, namespace: services.namespace });
}

export interface RunningTestWorker {
  worker: Worker;
  /** Resolves when the worker has shut down. */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** Starts a real worker against the test server; it is stopped after the test file at the latest. */
export async function startTestWorker(
  services: TestServices,
  options: Omit<WorkerOptions, 'connection' | 'namespace'> & { workflows?: boolean },
): Promise<RunningTestWorker> {
  const { workflows = true, ...workerOptions } = options;
  quietRuntime();
  const connection = await NativeConnection.connect({ address: services.temporalAddress });
  const worker = await Worker.create({
    connection,
    namespace: services.namespace,
    ...(workflows ? { workflowBundle: await workflowBundle() } : {}),
    ...workerOptions,
  });
  const done = worker.run().finally(() => connection.close());
  const stop = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await done;
  };
  onCleanup(stop);
  return { worker, done, stop };
}
