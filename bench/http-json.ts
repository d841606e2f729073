import { Agent, request } from 'node:http';

export interface JsonPoster {
  /** POSTs `body` as JSON; resolves with the status code once the whole answer has arrived. */
  post(
    path: string,
    body: string,
    headers?: Record<string, string>,
  ): Promise<{ status: number; text: string }>;
  close(): void;
}

/**
 * A keep-alive HTTP client with one socket per request in flight, as a monitoring system's sender keeps
 * them: a new TCP connection per alert would measure the benchmark's client, not the webhook. Plain
 * node:http rather than fetch, whose per-call overhead would be charged to the API side only.
 */
export function jsonPoster(baseUrl: string, maxSockets: number): JsonPoster {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  return {
    post: (path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'content-length': Buffer.byteLength(body),
              ...headers,
            },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () =>
              resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}
