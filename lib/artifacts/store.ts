import { createHash } from 'node:crypto';
import type { Queryable } from '../db/pool.js';
import { intSetting, type Env } from '../config.js';
import { DharmaError } from '../errors.js';

/** What an artifact is, e.g. `config`, `plan`, `plan-json`, `apply-log`. */
export type ArtifactKind = string;

export interface ArtifactInput {
  kind: ArtifactKind;
  content: Buffer | string;
  /** e.g. `application/json`, `application/octet-stream`, `text/plain`. */
  mediaType: string;
}

export interface Artifact {
  ref: string;
  kind: ArtifactKind;
  mediaType: string;
  content: Buffer;
  createdAt: Date;
}

const REF_PREFIX = 'art_';

export class ArtifactTooLarge extends DharmaError {
  constructor(
    readonly kind: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(
      `artifact of kind ${JSON.stringify(kind)} is ${size} bytes, over the limit of ${limit} bytes (ARTIFACT_MAX_BYTES)`,
    );
  }
}

export class ArtifactNotFound extends DharmaError {
  constructor(readonly ref: string) {
    super(`artifact ${JSON.stringify(ref)} does not exist`);
  }
}

/** The stored bytes no longer hash to their ref: refuse them rather than hand out altered content. */
export class ArtifactCorrupt extends DharmaError {
  constructor(readonly ref: string) {
    super(`artifact ${JSON.stringify(ref)} does not match its content hash`);
  }
}

export function sha256Hex(content: Buffer | string): string {
  return createHash('sha256').update(content).digest('hex');
}

/** The ref of some content: equal bytes have equal refs, whatever their kind or who stored them. */
export function artifactRef(content: Buffer | string): string {
  return `${REF_PREFIX}${sha256Hex(content)}`;
}

export function maxArtifactBytes(env: Env = process.env): number {
  return intSetting('ARTIFACT_MAX_BYTES', env);
}

/**
 * Stores `content` and returns its ref. Idempotent: a retried activity storing the same bytes gets the
 * same ref and no second row, so refs are safe to record in workflow history before or after a retry.
 */
export async function putArtifact(
  db: Queryable,
  input: ArtifactInput,
  options: { maxBytes?: number } = {},
): Promise<string> {
  const content = typeof input.content === 'string' ? Buffer.from(input.content, 'utf8') : input.content;
  const limit = options.maxBytes ?? maxArtifactBytes();
  if (content.length > limit) throw new ArtifactTooLarge(input.kind, content.length, limit);
  const ref = artifactRef(content);
  await db.query(
    `INSERT INTO artifacts (ref, kind, media_type, size_bytes, content) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (ref) DO NOTHING`,
    [ref, input.kind, input.mediaType, content.length, content],
  );
  return ref;
}

/** The artifact behind `ref`, its content checked against the ref's hash. */
export async function getArtifact(db: Queryable, ref: string): Promise<Artifact> {
  const { rows } = await db.query<{ kind: string; media_type: string; content: Buffer; created_at: Date }>(
    'SELECT kind, media_type, content, created_at FROM artifacts WHERE ref = $1',
    [ref],
  );
  const row = rows[0];
  if (!row) throw new ArtifactNotFound(ref);
  if (artifactRef(row.content) !== ref) throw new ArtifactCorrupt(ref);
  return { ref, kind: row.kind, mediaType: row.media_type, content: row.content, createdAt: row.created_at };
}

/** The artifact's content as UTF-8 text (configuration, plan JSON, logs). */
export async function getArtifactText(db: Queryable, ref: string): Promise<string> {
  return (await getArtifact(db, ref)).content.toString('utf8');
}
