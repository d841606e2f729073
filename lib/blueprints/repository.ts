import type pg from 'pg';
import type { Queryable } from '../db/pool.js';
import { blueprintContentHash, completeBlueprint, defaultBlueprintId, orderedBlueprint } from './document.js';
import { BlueprintExists, BlueprintNotFound, BlueprintVersionConflict } from './errors.js';
import type { Blueprint, BlueprintInput } from './schema.js';
import { bumpMinor, compareSemVer } from './semver.js';

export const FIRST_VERSION = '1.0.0';

export interface BlueprintSummary {
  id: string;
  name: string;
  latestVersion: string;
  provider: Blueprint['provider'];
  description: string;
  tags: string[];
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

export interface BlueprintVersionSummary {
  version: string;
  hash: string;
  createdBy: string;
  createdAt: string;
}

export interface StoredBlueprint {
  blueprint: Blueprint;
  hash: string;
}

interface VersionRow {
  document: Blueprint;
  hash: string;
}

async function transaction<T>(db: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

async function insertVersion(
  db: Queryable,
  blueprint: Blueprint,
  hash: string,
  actor: string,
): Promise<void> {
  await db.query(
    `INSERT INTO blueprint_versions (blueprint_id, version, document, hash, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6)`,
    [blueprint.id, blueprint.version, JSON.stringify(blueprint), hash, actor, blueprint.metadata.updatedAt],
  );
}

/** A new blueprint at `input.version` (default 1.0.0) with id `input.id` (default: the lowercased name). */
export async function createBlueprint(
  db: pg.Pool,
  input: BlueprintInput,
  actor: string,
): Promise<StoredBlueprint> {
  const id = input.id ?? defaultBlueprintId(input.name);
  const now = new Date().toISOString();
  const blueprint = completeBlueprint(input, {
    id,
    version: input.version ?? FIRST_VERSION,
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
  });
  const hash = blueprintContentHash(blueprint);
  return transaction(db, async (client) => {
    const inserted = await client.query(
      `INSERT INTO blueprints (id, name, latest_version, created_by, created_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO NOTHING`,
      [id, blueprint.name, blueprint.version, actor, now],
    );
    if (inserted.rowCount !== 1) throw new BlueprintExists(id);
    await insertVersion(client, blueprint, hash, actor);
    return { blueprint, hash };
  });
}

/**
 * A version of a blueprint (default: the latest). Deleted blueprints are not found unless
 * `includeDeleted`: a deployment that references one still reads the version it was made from.
 */
export async function getBlueprint(
  db: Queryable,
  id: string,
  options: { version?: string; includeDeleted?: boolean } = {},
): Promise<StoredBlueprint> {
  const { rows } = await db.query<VersionRow>(
    `SELECT v.document, v.hash FROM blueprints b
       JOIN blueprint_versions v ON v.blueprint_id = b.id AND v.version = COALESCE($2, b.latest_version)
      WHERE b.id = $1 AND ($3 OR b.deleted_at IS NULL)`,
    [id, options.version ?? null, options.includeDeleted ?? false],
  );
  const row = rows[0];
  if (!row) {
    // Tell "no such blueprint" from "no such version": the first throws from this lookup.
    if (options.version !== undefined)
      await getBlueprint(db, id, { includeDeleted: options.includeDeleted ?? false });
    throw new BlueprintNotFound(id, options.version);
  }
  return { blueprint: orderedBlueprint(row.document), hash: row.hash };
}

export interface UpdateResult extends StoredBlueprint {
  /** False when the content equals the latest version and no version was asked for: nothing was saved. */
  created: boolean;
}

/**
 * A new version: `input.version` when given (it must be higher than the latest: versions are never
 * rewritten), else the latest with its minor version bumped. Serialized per blueprint by a row lock,
 * so two concurrent updates cannot both claim the same next version.
 */
export async function updateBlueprint(
  db: pg.Pool,
  id: string,
  input: BlueprintInput,
  actor: string,
): Promise<UpdateResult> {
  return transaction(db, async (client) => {
    const { rows } = await client.query<{ latest_version: string; created_by: string; created_at: Date }>(
      'SELECT latest_version, created_by, created_at FROM blueprints WHERE id = $1 AND deleted_at IS NULL FOR UPDATE',
      [id],
    );
    const current = rows[0];
    if (!current) throw new BlueprintNotFound(id);
    const latest = await getBlueprint(client, id);
    if (input.version !== undefined && compareSemVer(input.version, current.latest_version) <= 0) {
      throw new BlueprintVersionConflict(id, input.version, current.latest_version);
    }
    if (input.version === undefined && blueprintContentHash(input) === latest.hash) {
      return { ...latest, created: false };
    }
    const blueprint = completeBlueprint(input, {
      id,
      version: input.version ?? bumpMinor(current.latest_version),
      createdBy: current.created_by,
      createdAt: current.created_at.toISOString(),
      updatedAt: new Date().toISOString(),
    });
    const hash = blueprintContentHash(blueprint);
    await insertVersion(client, blueprint, hash, actor);
    await client.query('UPDATE blueprints SET latest_version = $2, name = $3 WHERE id = $1', [
      id,
      blueprint.version,
      blueprint.name,
    ]);
    return { blueprint, hash, created: true };
  });
}

/** A new blueprint, at 1.0.0, with the content of `sourceId`'s version (default latest). */
export async function cloneBlueprint(
  db: pg.Pool,
  sourceId: string,
  target: { name: string; id?: string; version?: string },
  actor: string,
): Promise<StoredBlueprint> {
  const { blueprint: source } = await getBlueprint(
    db,
    sourceId,
    target.version ? { version: target.version } : {},
  );
  const { id: _id, version: _version, ...content } = source;
  return createBlueprint(
    db,
    { ...content, name: target.name, ...(target.id ? { id: target.id } : {}) },
    actor,
  );
}

/** Soft delete: hidden from lists and reads by id, versions kept for deployments that reference them. */
export async function deleteBlueprint(db: Queryable, id: string): Promise<void> {
  const result = await db.query(
    'UPDATE blueprints SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL',
    [id],
  );
  if (result.rowCount !== 1) throw new BlueprintNotFound(id);
}

interface SummaryRow {
  id: string;
  name: string;
  latest_version: string;
  created_by: string;
  created_at: Date;
  document: Blueprint;
}

/** Live blueprints ordered by id; `after` is the last id of the previous page. */
export async function listBlueprints(
  db: Queryable,
  options: { limit: number; after?: string },
): Promise<{ items: BlueprintSummary[]; nextCursor?: string }> {
  const { rows } = await db.query<SummaryRow>(
    `SELECT b.id, b.name, b.latest_version, b.created_by, b.created_at, v.document
       FROM blueprints b JOIN blueprint_versions v ON v.blueprint_id = b.id AND v.version = b.latest_version
      WHERE b.deleted_at IS NULL AND ($1::text IS NULL OR b.id > $1)
      ORDER BY b.id LIMIT $2`,
    [options.after ?? null, options.limit + 1],
  );
  const items = rows.slice(0, options.limit).map((row) => ({
    id: row.id,
    name: row.name,
    latestVersion: row.latest_version,
    provider: row.document.provider,
    description: row.document.metadata.description,
    tags: row.document.metadata.tags,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.document.metadata.updatedAt,
  }));
  const last = items[items.length - 1];
  return { items, ...(rows.length > options.limit && last ? { nextCursor: last.id } : {}) };
}

/** Every version of a live blueprint, oldest first by semver precedence. */
export async function listBlueprintVersions(db: Queryable, id: string): Promise<BlueprintVersionSummary[]> {
  const { rows } = await db.query<{ version: string; hash: string; created_by: string; created_at: Date }>(
    `SELECT v.version, v.hash, v.created_by, v.created_at FROM blueprint_versions v
       JOIN blueprints b ON b.id = v.blueprint_id WHERE b.id = $1 AND b.deleted_at IS NULL`,
    [id],
  );
  if (rows.length === 0) throw new BlueprintNotFound(id);
  return rows
    .map((r) => ({
      version: r.version,
      hash: r.hash,
      createdBy: r.created_by,
      createdAt: r.created_at.toISOString(),
    }))
    .sort((a, b) => compareSemVer(a.version, b.version));
}
