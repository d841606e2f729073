/**
 * Records a workflow's history as a replay fixture: test/replay/histories/<name>.json.
 * Usage: tsx scripts/record-history.ts <workflowId> <name> [runId]
 * Connects to TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE, or to the embedded dev server of `npm start`.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { format, resolveConfig } from 'prettier';
import { setting } from '../lib/config.js';
import { configuredTemporal, connectClient } from '../lib/temporal/connection.js';
import { HISTORIES_DIR, historyToFileJSON } from '../test/replay/history-files.js';

/** Fetches the history of a closed run and writes it; returns the file written. */
export async function recordHistory(
  client: Client,
  workflowId: string,
  name: string,
  runId?: string,
): Promise<string> {
  if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) {
    throw new Error(
      `name: expected kebab-case letters, digits and dashes (e.g. doctor-all-ok), got ${JSON.stringify(name)}`,
    );
  }
  const handle = client.workflow.getHandle(workflowId, runId);
  const { status } = await handle.describe();
  // A running workflow's history is a prefix that replays trivially; only a closed run pins the behaviour.
  if (status.name === 'RUNNING')
    throw new Error(`${workflowId} is still running: record it once it has closed`);
  const file = path.join(HISTORIES_DIR, `${name}.json`);
  const history = await handle.fetchHistory();
  // Formatted like every other file, so `npm run lint` (prettier --check) passes on new recordings.
  const options = (await resolveConfig(file)) ?? {};
  await writeFile(file, await format(historyToFileJSON(history), { ...options, filepath: file }));
  return file;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [workflowId, name, runId] = process.argv.slice(2);
  if (!workflowId || !name) {
    console.error('usage: tsx scripts/record-history.ts <workflowId> <name> [runId]');
    process.exit(2);
  }
  const target = configuredTemporal() ?? {
    address: `127.0.0.1:${setting('TEMPORAL_DEV_PORT')}`,
    namespace: setting('TEMPORAL_NAMESPACE'),
    source: 'TEMPORAL_DEV_PORT',
  };
  try {
    const client = await connectClient(target);
    console.log(`wrote ${await recordHistory(client, workflowId, name, runId)}`);
    await client.connection.close();
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exit(1);
  }
}
