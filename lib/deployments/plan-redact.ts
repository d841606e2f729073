/** What replaces a sensitive value in a plan shown to people. */
export const REDACTED = '(sensitive value)';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Values of `value` at the places `mask` (tofu's `*_sensitive` shape: true, or nested arrays/objects) marks. */
function maskedValues(value: unknown, mask: unknown, found: Set<string>): void {
  if (mask === true) {
    collectLeaves(value, found);
    return;
  }
  if (Array.isArray(mask) && Array.isArray(value)) {
    mask.forEach((m, i) => maskedValues(value[i], m, found));
  } else if (mask && typeof mask === 'object' && value && typeof value === 'object') {
    for (const [key, m] of Object.entries(mask))
      maskedValues((value as Record<string, unknown>)[key], m, found);
  }
}

function collectLeaves(value: unknown, found: Set<string>): void {
  if (typeof value === 'string' && value !== '') found.add(value);
  else if (Array.isArray(value)) value.forEach((v) => collectLeaves(v, found));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => collectLeaves(v, found));
}

function walk(node: unknown, visit: (node: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) node.forEach((n) => walk(n, visit));
  else if (node && typeof node === 'object') {
    visit(node as Record<string, unknown>);
    Object.values(node).forEach((n) => walk(n, visit));
  }
}

function scrub(node: Json, secrets: Set<string>): Json {
  if (typeof node === 'string') return secrets.has(node) ? REDACTED : node;
  if (Array.isArray(node)) return node.map((n) => scrub(n, secrets));
  if (node && typeof node === 'object')
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, scrub(v, secrets)]));
  return node;
}

/**
 * The plan JSON (`tofu show -json`) without its secrets, for people and API clients. tofu writes
 * sensitive values in clear next to a mask (`after_sensitive`, `sensitive_values`, variables declared
 * sensitive); every string found under a mask is replaced wherever it appears, so a secret copied into
 * another attribute or a trigger is hidden too.
 */
export function redactPlanJson<T>(plan: T): T {
  const secrets = new Set<string>();
  const root = plan as Record<string, unknown>;
  const declared = (
    root.configuration as { root_module?: { variables?: Record<string, { sensitive?: boolean }> } }
  )?.root_module?.variables;
  const variables = (root.variables ?? {}) as Record<string, { value?: unknown }>;
  for (const [name, variable] of Object.entries(declared ?? {})) {
    if (variable.sensitive) collectLeaves(variables[name]?.value, secrets);
  }
  walk(plan, (node) => {
    for (const [key, mask] of Object.entries(node)) {
      if (key === 'sensitive_values') maskedValues(node.values, mask, secrets);
      else if (key.endsWith('_sensitive'))
        maskedValues(node[key.slice(0, -'_sensitive'.length)], mask, secrets);
      else if (key === 'sensitive' && mask === true && 'value' in node) collectLeaves(node.value, secrets);
    }
  });
  return scrub(plan as Json, secrets) as T;
}
