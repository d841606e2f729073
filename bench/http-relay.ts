/**
 * The floor of any webhook: a bare node:http server that normalizes each Alertmanager payload and makes
 * the same signalWithStart with @temporalio/client, no framework, no authentication, no validation. The
 * alert benchmark runs it in its own process, like the API, so the cost of one more process and an HTTP
 * hop on this machine shows apart from what Dharma's route adds. Not a product path: reference only.
 * Environment: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, RELAY_TASK_QUEUE, RELAY_PORT; prints "ready".
 */
import { createServer } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { normalizeAlertmanager } from '../api/webhooks/alertmanager.js';
import { deliverAlert } from '../lib/alerts/deliver.js';

const required = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const connection = await Connection.connect({ address: required('TEMPORAL_ADDRESS') });
const client = new Client({ connection, namespace: required('TEMPORAL_NAMESPACE') });
const taskQueue = required('RELAY_TASK_QUEUE');

async function relay(body: string): Promise<void> {
  const alerts = normalizeAlertmanager(JSON.parse(body) as never, 'alertmanager');
  await Promise.all(alerts.map((alert) => deliverAlert(client.workflow, alert, taskQueue)));
}

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    relay(Buffer.concat(chunks).toString('utf8')).then(
      () => response.writeHead(202, { 'content-type': 'application/json' }).end('{}'),
      (error: unknown) => response.writeHead(500).end(String(error)),
    );
  });
});
server.listen(Number(required('RELAY_PORT')), '127.0.0.1', () => process.stdout.write('ready\n'));
process.once('SIGTERM', () => {
  server.close();
  void connection.close().then(() => process.exit(0));
});
