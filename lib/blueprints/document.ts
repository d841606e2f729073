import { createHash } from 'node:crypto';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import type { Blueprint, BlueprintInput } from './schema.js';

export interface VersionFields {
  id: string;
  version: string;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
}

/** The id a blueprint gets when its author gives none: its name, lowercased. */
export function defaultBlueprintId(name: string): string {
  return name.toLowerCase();
}

/**
 * A complete blueprint from validated input and the server-managed fields, with its keys in reading
 * order (PostgreSQL jsonb reorders them; exports to YAML should read top-down like a hand-written file).
 */
export function completeBlueprint(input: BlueprintInput | Blueprint, fields: VersionFields): Blueprint {
  return {
    id: fields.id,
    name: input.name,
    version: fields.version,
    provider: input.provider,
    region: input.region,
    metadata: {
      createdBy: fields.createdBy,
      createdAt: fields.createdAt,
      updatedAt: fields.updatedAt,
      tags: [...(input.metadata?.tags ?? [])],
      description: input.metadata?.description ?? '',
    },
    variables: input.variables ?? {},
    ...(input.providerConfig ? { providerConfig: input.providerConfig } : {}),
    resources: input.resources.map((r) => ({
      type: r.type,
      name: r.name,
      properties: r.properties ?? {},
      dependsOn: r.dependsOn ?? [],
    })),
    outputs: input.outputs ?? {},
    ...(input.healthChecks ? { healthChecks: input.healthChecks } : {}),
    ...(input.environments ? { environments: input.environments } : {}),
    ...(input.drift ? { drift: input.drift } : {}),
  };
}

/** Reorders a stored document's keys (see completeBlueprint). */
export function orderedBlueprint(stored: Blueprint): Blueprint {
  return completeBlueprint(stored, { ...stored.metadata, id: stored.id, version: stored.version });
}

/**
 * Hash of what a blueprint describes, leaving out who saved it, when, and under which version: two
 * saves of the same content have the same hash, so an unchanged PUT makes no new version.
 */
export function blueprintContentHash(bp: BlueprintInput | Blueprint): string {
  const content = completeBlueprint(bp, {
    id: '',
    version: '0.0.0',
    createdBy: '',
    createdAt: '',
    updatedAt: '',
  });
  return `sha256:${createHash('sha256')
    .update(canonicalJson({ ...content, id: undefined }))
    .digest('hex')}`;
}
