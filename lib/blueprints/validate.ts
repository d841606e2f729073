import { fieldPath, IDENT, schemaChecker, type Segment } from '../schema-problems.js';
import type { BlueprintProblem } from './errors.js';
import { BlueprintInvalid } from './errors.js';
import {
  allowedProviders,
  FAMILY_PROVIDERS,
  providerOfType,
  UTILITY_PROVIDERS,
} from './provider-families.js';
import { BlueprintInput, type HealthCheck } from './schema.js';

function problem(segments: readonly Segment[], message: string): BlueprintProblem {
  const pointer = segments.map((s) => `/${String(s).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
  return { path: fieldPath(segments), pointer, message };
}

const checkInput = schemaChecker(BlueprintInput, { describePatterns: false });

/** Schema errors, one per field: a union's failed branches are merged into one "a or b" message. */
function schemaProblems(doc: unknown): BlueprintProblem[] {
  return checkInput(doc).map(({ segments, message }) => problem(segments, message));
}

const KNOWN_PROVIDERS = new Set([...Object.values(FAMILY_PROVIDERS).flat(), ...UTILITY_PROVIDERS]);
/** Locals every synthesized configuration defines (lib/iac/synthesize.ts). */
export const BUILTIN_LOCALS = ['environment', 'stack', 'blueprint'] as const;

/** Every `${...}` interpolation inside a value, with the field path of the string holding it. */
function interpolations(value: unknown, at: Segment[], out: { segments: Segment[]; expr: string }[] = []) {
  if (typeof value === 'string') {
    for (const match of value.matchAll(/\$\{([^}]*)\}/g)) out.push({ segments: at, expr: match[1] ?? '' });
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => interpolations(v, [...at, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) interpolations(v, [...at, k], out);
  }
  return out;
}

function referenceProblems(bp: BlueprintInput): BlueprintProblem[] {
  const problems: BlueprintProblem[] = [];
  const addresses = new Set(bp.resources.map((r) => `${r.type}.${r.name}`));
  const variables = new Set(Object.keys(bp.variables ?? {}));
  const scanned = [
    ...bp.resources.flatMap((r, i) => interpolations(r.properties ?? {}, ['resources', i, 'properties'])),
    ...Object.entries(bp.outputs ?? {}).flatMap(([name, o]) =>
      interpolations(o.value, ['outputs', name, 'value']),
    ),
    ...Object.entries(bp.providerConfig ?? {}).flatMap(([name, c]) =>
      interpolations(c, ['providerConfig', name]),
    ),
  ];
  for (const { segments, expr } of scanned) {
    for (const m of expr.matchAll(/(?<![\w.])var\.([A-Za-z_][\w-]*)/g)) {
      if (!variables.has(m[1]!)) problems.push(problem(segments, `unknown variable "${m[1]}"`));
    }
    for (const m of expr.matchAll(/(?<![\w.])local\.([A-Za-z_][\w-]*)/g)) {
      if (!(BUILTIN_LOCALS as readonly string[]).includes(m[1]!)) {
        problems.push(problem(segments, `unknown local "${m[1]}" (known: ${BUILTIN_LOCALS.join(', ')})`));
      }
    }
    for (const m of expr.matchAll(/(?<![\w.])([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)/g)) {
      const address = `${m[1]}.${m[2]}`;
      if (KNOWN_PROVIDERS.has(providerOfType(m[1]!)) && !addresses.has(address)) {
        problems.push(problem(segments, `reference to unknown resource "${address}"`));
      }
    }
  }
  return problems;
}

function dependencyProblems(bp: BlueprintInput): BlueprintProblem[] {
  const problems: BlueprintProblem[] = [];
  const index = new Map<string, number>();
  bp.resources.forEach((r, i) => {
    const first = index.get(r.name);
    if (first === undefined) index.set(r.name, i);
    else
      problems.push(
        problem(['resources', i, 'name'], `duplicate resource name "${r.name}" (also resources[${first}])`),
      );
  });
  bp.resources.forEach((r, i) =>
    (r.dependsOn ?? []).forEach((dep, j) => {
      if (!index.has(dep))
        problems.push(problem(['resources', i, 'dependsOn', j], `unknown resource "${dep}"`));
    }),
  );
  // Depth-first search; an edge back into the current path closes a cycle, reported where it closes.
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  const visit = (name: string) => {
    state.set(name, 'visiting');
    path.push(name);
    const i = index.get(name)!;
    (bp.resources[i]!.dependsOn ?? []).forEach((dep, j) => {
      if (!index.has(dep)) return;
      if (state.get(dep) === 'visiting') {
        const cycle = [...path.slice(path.indexOf(dep)), dep].join(' → ');
        problems.push(problem(['resources', i, 'dependsOn', j], `dependency cycle ${cycle}`));
      } else if (!state.has(dep)) visit(dep);
    });
    path.pop();
    state.set(name, 'done');
  };
  for (const name of index.keys()) if (!state.has(name)) visit(name);
  return problems;
}

function providerProblems(bp: BlueprintInput): BlueprintProblem[] {
  const allowed = allowedProviders(bp.provider);
  const problems: BlueprintProblem[] = [];
  const expected = `${allowed.map((p) => `${p}_*`).join(', ')} for provider ${bp.provider}`;
  bp.resources.forEach((r, i) => {
    if (!allowed.includes(providerOfType(r.type))) {
      problems.push(problem(['resources', i, 'type'], `"${r.type}" is not allowed: expected ${expected}`));
    }
  });
  for (const name of Object.keys(bp.providerConfig ?? {})) {
    if (!allowed.includes(name)) {
      problems.push(
        problem(['providerConfig', name], `unknown provider: expected one of ${allowed.join(', ')}`),
      );
    }
  }
  return problems;
}

const REQUIRED_BY_KIND: Record<HealthCheck['kind'], (keyof HealthCheck)[]> = {
  http: ['url'],
  tcp: ['host', 'port'],
  sql: ['database', 'query'],
};

function healthCheckProblems(bp: BlueprintInput): BlueprintProblem[] {
  const problems: BlueprintProblem[] = [];
  const names = new Set<string>();
  const outputs = new Set(Object.keys(bp.outputs ?? {}));
  (bp.healthChecks ?? []).forEach((check, i) => {
    if (names.has(check.name))
      problems.push(problem(['healthChecks', i, 'name'], `duplicate health check "${check.name}"`));
    names.add(check.name);
    for (const field of REQUIRED_BY_KIND[check.kind]) {
      if (check[field] === undefined)
        problems.push(problem(['healthChecks', i, field], `is required for a ${check.kind} check`));
    }
    for (const [field, value] of Object.entries(check)) {
      if (typeof value !== 'string') continue;
      for (const m of value.matchAll(/\$\{output\.([A-Za-z_][\w-]*)\}/g)) {
        if (!outputs.has(m[1]!))
          problems.push(problem(['healthChecks', i, field], `unknown output "${m[1]}"`));
      }
    }
  });
  return problems;
}

function environmentProblems(bp: BlueprintInput): BlueprintProblem[] {
  const problems: BlueprintProblem[] = [];
  const resources = new Set(bp.resources.map((r) => r.name));
  const variables = new Set(Object.keys(bp.variables ?? {}));
  for (const [env, override] of Object.entries(bp.environments ?? {})) {
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(env)) {
      problems.push(
        problem(['environments', env], 'environment names are 1-32 lowercase letters, digits and -'),
      );
    }
    for (const name of Object.keys(override.resources ?? {})) {
      if (!resources.has(name))
        problems.push(problem(['environments', env, 'resources', name], `unknown resource "${name}"`));
    }
    for (const name of Object.keys(override.variables ?? {})) {
      if (!variables.has(name))
        problems.push(problem(['environments', env, 'variables', name], `unknown variable "${name}"`));
    }
  }
  for (const kind of ['variables', 'outputs'] as const) {
    for (const name of Object.keys(bp[kind] ?? {})) {
      if (!IDENT.test(name))
        problems.push(problem([kind, name], 'must be an identifier (letters, digits, _ and -)'));
    }
  }
  return problems;
}

/** Everything wrong with a document: schema problems first; semantic checks need a well-formed document. */
export function blueprintProblems(doc: unknown): BlueprintProblem[] {
  const shape = schemaProblems(doc);
  if (shape.length > 0) return shape;
  const bp = doc as BlueprintInput;
  return [
    ...dependencyProblems(bp),
    ...providerProblems(bp),
    ...referenceProblems(bp),
    ...healthCheckProblems(bp),
    ...environmentProblems(bp),
  ];
}

/** The document as a BlueprintInput, or BlueprintInvalid listing every problem with its field path. */
export function validateBlueprintInput(doc: unknown): BlueprintInput {
  const problems = blueprintProblems(doc);
  if (problems.length > 0) throw new BlueprintInvalid(problems);
  return doc as BlueprintInput;
}
