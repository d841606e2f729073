import { readFile } from 'node:fs/promises';
import type pg from 'pg';
import type { Env } from '../../lib/config.js';
import { parseSourcesFile, WebhookSourcesInvalid } from '../../lib/alerts/sources-file.js';
import { applyFileSources, loadSources } from '../../lib/alerts/sources-store.js';
import type { WebhookSource } from '../../lib/alerts/sources.js';

interface SyncLog {
  info(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface SourceCacheOptions {
  db: pg.Pool;
  /** How long a read of webhook_sources (and of the file) is used before the next lookup re-reads. */
  ttlMs: number;
  /** WEBHOOK_SOURCES_FILE and the environment its `keyEnv`/`secretEnv` name. */
  file?: { path: string; env: Env; log: SyncLog };
}

export type SourceLookup = (source: string) => Promise<WebhookSource | undefined>;

/**
 * Keeps webhook_sources in step with WEBHOOK_SOURCES_FILE: applied once now (an invalid or unreadable
 * file fails the start), then re-applied whenever its content differs at a cache refresh. A bad edit is
 * logged and changes nothing, so the sources last applied keep working until the file is fixed.
 */
async function fileSync(file: NonNullable<SourceCacheOptions['file']>, db: pg.Pool) {
  let applied = '';
  let refused = '';
  let reported = '';
  // A problem that persists is logged once, not at every refresh.
  const report = (error: unknown) => {
    const key = error instanceof Error ? error.message : String(error);
    if (key === reported) return;
    reported = key;
    file.log.error(
      { err: error, file: file.path },
      'WEBHOOK_SOURCES_FILE not applied; the sources in effect stay',
    );
  };
  const apply = async (text: string) => {
    const removed = await applyFileSources(db, parseSourcesFile(text, file.path, file.env));
    applied = text;
    reported = '';
    file.log.info({ file: file.path, removed }, 'webhook sources applied from WEBHOOK_SOURCES_FILE');
  };
  const read = () =>
    readFile(file.path, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new WebhookSourcesInvalid(file.path, [
        { path: '', message: `cannot be read (${error.code ?? error.message})` },
      ]);
    });
  await apply(await read());
  return async () => {
    try {
      const text = await read();
      if (text === applied || text === refused) return;
      await apply(text).catch((error: unknown) => {
        // An invalid file stays refused until it changes; a database failure is retried next refresh.
        if (error instanceof WebhookSourcesInvalid) refused = text;
        throw error;
      });
    } catch (error) {
      report(error);
    }
  };
}

/**
 * webhook_sources read at most once per `ttlMs`, so credentials edited in PostgreSQL (or the file) apply
 * to every replica without a restart, and a burst of webhooks costs no query per request.
 */
export async function createSourceCache(options: SourceCacheOptions): Promise<SourceLookup> {
  const { db, ttlMs } = options;
  const sync = options.file ? await fileSync(options.file, db) : undefined;
  let loaded: Promise<Map<string, WebhookSource>> | undefined;
  let loadedAt = 0;
  const load = async () => {
    await sync?.();
    return loadSources(db);
  };
  return async (source) => {
    if (!loaded || Date.now() - loadedAt > ttlMs) {
      loadedAt = Date.now();
      loaded = load();
      // A failed load must not be cached: the next request tries again.
      loaded.catch(() => {
        loaded = undefined;
      });
    }
    return (await loaded).get(source);
  };
}
