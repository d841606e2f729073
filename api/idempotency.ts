import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { canonicalJson } from '../workflows/lib/change-hash.js';
import type { ApiContext } from './context.js';
import { IdempotencyKeyReused, IdempotentRequestInProgress } from './errors.js';
import { principalOf } from './guards.js';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * Set when this request owns an Idempotency-Key row and must record its response. `since` (the row's
     * created_at, as text to keep its microseconds) tells this request's row from one a retry took over.
     */
    idempotency?: { principal: string; key: string; since: string };
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** An "in progress" row this old belongs to a request that died before answering; a retry takes it over. */
const ABANDONED_AFTER_SECONDS = 120;

interface StoredRow {
  request_hash: string;
  status: 'in_progress' | 'completed';
  response_status: number | null;
  response_body: string | null;
}

function requestHash(request: FastifyRequest): string {
  return createHash('sha256')
    .update(`${request.method} ${request.url}\n${canonicalJson(request.body ?? null)}`)
    .digest('hex');
}

/**
 * `Idempotency-Key` for POST routes, as a preHandler (after authentication: keys are per principal)
 * and an onSend hook. The row is inserted "in progress" before the handler runs, so of two concurrent
 * duplicates only one proceeds. A 2xx response is stored and replayed to retries with the same body;
 * any other response deletes the row, so a failed request (e.g. Temporal unreachable) can be retried.
 */
export function idempotency(ctx: ApiContext) {
  const preHandler = async (request: FastifyRequest, reply: FastifyReply) => {
    const key = request.headers[IDEMPOTENCY_HEADER];
    if (typeof key !== 'string') return;
    const principal = principalOf(request).subject;
    const hash = requestHash(request);
    const owned = await ctx.db.query(
      `INSERT INTO idempotency_keys (principal, key, method, path, request_hash, expires_at)
       VALUES ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))
       ON CONFLICT (principal, key) DO UPDATE SET
         method = EXCLUDED.method, path = EXCLUDED.path, request_hash = EXCLUDED.request_hash,
         status = 'in_progress', response_status = NULL, response_body = NULL,
         created_at = now(), expires_at = EXCLUDED.expires_at
       WHERE idempotency_keys.expires_at <= now()
          OR (idempotency_keys.status = 'in_progress'
              AND idempotency_keys.created_at < now() - make_interval(secs => $7))
       RETURNING created_at::text AS since`,
      [principal, key, request.method, request.url, hash, ctx.idempotencyTtlHours, ABANDONED_AFTER_SECONDS],
    );
    const since = (owned.rows[0] as { since: string } | undefined)?.since;
    if (since !== undefined) {
      request.idempotency = { principal, key, since };
      return;
    }
    const { rows } = await ctx.db.query<StoredRow>(
      `SELECT request_hash, status, response_status, response_body FROM idempotency_keys
        WHERE principal = $1 AND key = $2`,
      [principal, key],
    );
    const stored = rows[0];
    if (stored && stored.request_hash !== hash) throw new IdempotencyKeyReused(key);
    if (!stored || stored.status !== 'completed' || stored.response_status === null) {
      throw new IdempotentRequestInProgress(key);
    }
    return reply
      .code(stored.response_status)
      .header(REPLAYED_HEADER, 'true')
      .type('application/json; charset=utf-8')
      .send(stored.response_body ?? '');
  };

  // Only the row this request inserted: after ABANDONED_AFTER_SECONDS a retry may have taken it over, and
  // a late answer must neither overwrite nor delete the retry's.
  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const owner = request.idempotency;
    if (!owner) return payload;
    const row = [owner.principal, owner.key, owner.since];
    if (reply.statusCode >= 200 && reply.statusCode < 300 && typeof payload === 'string') {
      await ctx.db.query(
        `UPDATE idempotency_keys SET status = 'completed', response_status = $4, response_body = $5
          WHERE principal = $1 AND key = $2 AND created_at = $3::timestamptz`,
        [...row, reply.statusCode, payload],
      );
    } else {
      await ctx.db.query(
        'DELETE FROM idempotency_keys WHERE principal = $1 AND key = $2 AND created_at = $3::timestamptz',
        row,
      );
    }
    return payload;
  };

  return { preHandler, onSend };
}

/** Drops expired keys; run periodically so the table stays the size of one TTL window. */
export async function purgeExpiredIdempotencyKeys(ctx: Pick<ApiContext, 'db'>): Promise<number> {
  const result = await ctx.db.query('DELETE FROM idempotency_keys WHERE expires_at <= now()');
  return result.rowCount ?? 0;
}
