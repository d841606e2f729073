import type { Queryable } from '../db/pool.js';
import type { AlertSourceKind } from './alert.js';
import type { WebhookSource } from './sources.js';

/** Every configured webhook source by name. */
export async function loadSources(db: Queryable): Promise<Map<string, WebhookSource>> {
  const { rows } = await db.query<{
    source: string;
    kind: AlertSourceKind;
    secret: string | null;
    key_hash: string | null;
    enabled: boolean;
  }>('SELECT source, kind, secret, key_hash, enabled FROM webhook_sources');
  return new Map(
    rows.map((r) => [
      r.source,
      { source: r.source, kind: r.kind, secret: r.secret, keyHash: r.key_hash, enabled: r.enabled },
    ]),
  );
}

/**
 * Makes the table's file-managed sources exactly `sources`, in one statement (so no replica ever sees half
 * a file): listed ones are inserted or overwritten (a source of the same name written in SQL is taken
 * over), file-managed ones no longer listed are deleted. Returns the names deleted.
 */
export async function applyFileSources(db: Queryable, sources: readonly WebhookSource[]): Promise<string[]> {
  const column = <K extends keyof WebhookSource>(key: K) => sources.map((s) => s[key]);
  const { rows } = await db.query<{ removed: string[] }>(
    `WITH listed AS (
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[])
         AS l(source, kind, secret, key_hash, enabled)
     ), upserted AS (
       INSERT INTO webhook_sources (source, kind, secret, key_hash, enabled, origin)
       SELECT source, kind, secret, key_hash, enabled, 'file' FROM listed
       ON CONFLICT (source) DO UPDATE SET kind = EXCLUDED.kind, secret = EXCLUDED.secret,
         key_hash = EXCLUDED.key_hash, enabled = EXCLUDED.enabled, origin = 'file'
     ), removed AS (
       DELETE FROM webhook_sources WHERE origin = 'file' AND source NOT IN (SELECT source FROM listed)
       RETURNING source
     )
     SELECT ARRAY(SELECT source FROM removed ORDER BY source) AS removed`,
    [column('source'), column('kind'), column('secret'), column('keyHash'), column('enabled')],
  );
  return rows[0]?.removed ?? [];
}
