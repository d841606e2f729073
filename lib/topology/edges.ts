import type { Blueprint } from '../blueprints/schema.js';
import type { TopologyEdge } from './store.js';

const REFERENCE = /\$\{\s*([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][A-Za-z0-9_-]*)[.}\s[]/g;

function references(value: unknown, found: Set<string>): void {
  if (typeof value === 'string') {
    for (const match of value.matchAll(REFERENCE)) found.add(`${match[1]}.${match[2]}`);
  } else if (Array.isArray(value)) {
    value.forEach((item) => references(item, found));
  } else if (value !== null && typeof value === 'object') {
    Object.values(value).forEach((item) => references(item, found));
  }
}

/**
 * The dependency edges a blueprint declares: explicit `dependsOn` (by resource name) and the references
 * in its properties (`${type.name.attribute}`), as resource addresses. Only edges between the blueprint's
 * own resources: a reference to a variable or a data source is no edge.
 */
export function blueprintEdges(blueprint: Pick<Blueprint, 'resources'>): TopologyEdge[] {
  const byName = new Map(blueprint.resources.map((r) => [r.name, `${r.type}.${r.name}`]));
  const addresses = new Set(byName.values());
  const edges: TopologyEdge[] = [];
  for (const resource of blueprint.resources) {
    const from = `${resource.type}.${resource.name}`;
    const targets = new Set<string>();
    for (const name of resource.dependsOn) {
      const to = byName.get(name);
      if (to) targets.add(to);
    }
    references(resource.properties, targets);
    for (const to of targets) if (to !== from && addresses.has(to)) edges.push({ from, to });
  }
  return edges;
}
