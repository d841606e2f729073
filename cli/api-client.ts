import { randomUUID } from 'node:crypto';
import { setting } from '../lib/config.js';
import { ApiError, ApiUnreachable } from './errors.js';

export function apiBaseUrl(): string {
  const configured = setting('API_URL');
  if (configured) return configured.replace(/\/+$/, '');
  const host = setting('API_HOST');
  // A server listening on every interface is reached on loopback from the same machine.
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${setting('API_PORT')}`;
}

type Query = Record<string, string | number | undefined>;

const HINTS: Record<number, string> = {
  401: 'the token was refused: check API_TOKEN (or, on embedded defaults, that the CLI and API share DHARMA_HOME)',
  403: 'with a self-minted token choose the role with --role; otherwise ask an admin',
};

interface ErrorBody {
  error?: string;
  message?: string;
  details?: unknown;
}

/** Validation failures list every failing field; other errors say all in their message. */
function describeProblems(details: unknown): string {
  if (!Array.isArray(details) || details.length < 2) return '';
  return details
    .map(
      (p: { in?: string; field?: string; message?: string }) =>
        `${p.in ?? ''}${p.field ?? ''} ${p.message ?? ''}`,
    )
    .join('; ');
}

/** Turns the API's `{ error: code, message, details }` into one line a person can act on. */
export function toApiError(status: number, body: unknown, retryAfter: string | null): ApiError {
  const fields: ErrorBody = typeof body === 'object' && body !== null ? body : {};
  const code = typeof fields.error === 'string' ? fields.error : `http_${status}`;
  const parts = [`${fields.message ?? `request failed with HTTP ${status}`}`];
  const problems = describeProblems(fields.details);
  if (problems) parts.push(`(${problems})`);
  const hint = HINTS[status];
  if (hint) parts.push(`- ${hint}`);
  if (retryAfter) parts.push(`- retry after ${retryAfter}s`);
  return new ApiError(status, code, `${parts.join(' ')} [HTTP ${status} ${code}]`, fields.details);
}

/** The CLI's only way to the platform: the REST API, so it sees exactly what every other client sees. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.size > 0 ? `?${params.toString()}` : '';
    return this.request<T>('GET', `${path}${search}`);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    // A fresh key per request: the API answers a replay of this exact request with its first response.
    return this.request<T>('POST', path, body, { 'idempotency-key': randomUUID() });
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.token}`,
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new ApiUnreachable(this.baseUrl, error);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { message: text.slice(0, 200) };
    }
    if (!response.ok) throw toApiError(response.status, parsed, response.headers.get('retry-after'));
    return parsed as T;
  }
}
