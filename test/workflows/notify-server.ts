import http from 'node:http';
import { after } from 'node:test';

export interface WebhookServer {
  url: string;
  /** JSON bodies received, in order. */
  received: unknown[];
}

/** A real HTTP server on loopback that records JSON posts (a Slack-compatible webhook stand-in). */
export async function startWebhookServer(status = 200): Promise<WebhookServer> {
  const received: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    req.on('end', () => {
      received.push(body ? JSON.parse(body) : null);
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'no');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const address = server.address();
  if (typeof address !== 'object' || !address) throw new Error('webhook server has no address');
  return { url: `http://127.0.0.1:${address.port}/hook`, received };
}
