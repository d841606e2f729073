import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { canonicalJson } from '../../workflows/lib/change-hash.js';
import { DharmaError } from '../errors.js';
import { isBuiltinProvider, providerOfType } from '../blueprints/provider-families.js';
import type { Blueprint, BlueprintResource } from '../blueprints/schema.js';
import { providerRequirement } from './provider-pins.js';
import { renderJson, ResourceRef, TerraformConfig, type Arguments } from './terraform-json.js';

export const MAIN_FILE = 'main.tf.json';
export const VARIABLES_FILE = 'terraform.tfvars.json';

export class UnknownVariable extends DharmaError {
  constructor(
    readonly variable: string,
    known: readonly string[],
  ) {
    super(
      `variable ${JSON.stringify(variable)} is not declared by the blueprint (declared: ${known.join(', ') || 'none'})`,
    );
  }
}

/** PostgreSQL's identifier limit: longer schema names would be silently truncated by the server. */
const MAX_IDENTIFIER = 63;

export interface SynthesisOptions {
  environment: string;
  /** Names the state workspace together with the environment. Default: the blueprint id. */
  stack?: string;
  backend: {
    /**
     * PostgreSQL holding the state. Passed to tofu as PG_CONN_STR (see Synthesis.env), never written
     * into the configuration: `.terraform/` and saved plan files would keep a copy of the password.
     */
    connStr?: string;
    /** Default: stateSchemaName(stack, environment). */
    schemaName?: string;
  };
  /**
   * Values of the blueprint's variables for this deployment, written to terraform.tfvars.json (part of
   * the hash). Secrets do not belong here: give them to tofu as TF_VAR_<name> environment variables.
   */
  variables?: Record<string, unknown>;
}

export interface Synthesis {
  /** File name → content, to write into an empty working directory. */
  files: Record<string, string>;
  /** `sha256:<hex>` of the files: equal configurations have equal hashes. */
  hash: string;
  /** The pg backend's schema: one state workspace per stack and environment. */
  schemaName: string;
  /** Environment for every tofu command run on these files (the backend connection). */
  env: Record<string, string>;
}

/** A lowercase kebab stack and a lowercase alphanumeric environment: their `_` spelling reads back. */
const PLAIN_STACK = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const PLAIN_ENVIRONMENT = /^[a-z0-9]+$/;

/**
 * The PostgreSQL schema of a stack's state in one environment, so that two stacks never share state:
 * `tfstate_<stack>_<environment>` with `-` as `_` when that spelling reads back (a lowercase kebab stack, a
 * plain environment); otherwise (`web_app` next to `web-app`, `Web`, `a-b`+`c` next to `a`+`b-c`) the same
 * spelling plus `__` and a hash of the exact pair, a separator plain names never contain. Too long a
 * plain name is cut and suffixed with a hash of the full one (`_`, as schemas were always named).
 */
export function stateSchemaName(stack: string, environment: string): string {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '_');
  const name = `tfstate_${clean(stack)}_${clean(environment)}`;
  const digest = (length: number) =>
    createHash('sha256').update(`${stack}\n${environment}`).digest('hex').slice(0, length);
  if (!PLAIN_STACK.test(stack) || !PLAIN_ENVIRONMENT.test(environment)) {
    const suffix = `__${digest(12)}`;
    return `${name.slice(0, MAX_IDENTIFIER - suffix.length)}${suffix}`;
  }
  if (name.length <= MAX_IDENTIFIER) return name;
  return `${name.slice(0, MAX_IDENTIFIER - 11)}_${digest(10)}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Objects merge key by key; anything else in `override` replaces what `base` had. */
function deepMerge(base: Arguments, override: Arguments): Arguments {
  const merged: Arguments = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = merged[key];
    merged[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : value;
  }
  return merged;
}

/** Provider arguments Dharma derives from the blueprint itself (its region). */
function familyDefaults(provider: string, region: string): Arguments | undefined {
  switch (provider) {
    case 'aws':
    case 'google':
      return { region };
    case 'azurerm':
      return { features: {} };
    default:
      return undefined;
  }
}

/** The blueprint as one Terraform JSON configuration for an environment, with the pg state backend. */
export function synthesize(blueprint: Blueprint, options: SynthesisOptions): Synthesis {
  const { environment } = options;
  const stack = options.stack ?? blueprint.id;
  const override = blueprint.environments?.[environment];
  const schemaName = options.backend.schemaName ?? stateSchemaName(stack, environment);
  const config = new TerraformConfig().backend('pg', { schema_name: schemaName });

  const providers = new Set(
    [
      ...blueprint.resources.map((r) => providerOfType(r.type)),
      ...Object.keys(blueprint.providerConfig ?? {}),
    ]
      // terraform_data needs no provider block: it is built into tofu and terraform.
      .filter((provider) => !isBuiltinProvider(provider)),
  );
  const region = override?.region ?? blueprint.region;
  for (const provider of [...providers].sort()) {
    config.requireProvider(provider, providerRequirement(provider));
    const args = { ...familyDefaults(provider, region), ...blueprint.providerConfig?.[provider] };
    if (Object.keys(args).length > 0) config.provider(provider, args);
  }

  for (const [name, variable] of Object.entries(blueprint.variables)) {
    const value = override?.variables?.[name];
    config.variable(name, value === undefined ? variable : { ...variable, default: value });
  }
  config.local('environment', environment);
  config.local('stack', stack);
  config.local('blueprint', blueprint.id);

  const refs = new Map<string, ResourceRef>(
    blueprint.resources.map((r) => [r.name, new ResourceRef(r.type, r.name)]),
  );
  const propertiesOf = (r: BlueprintResource) => {
    const extra = override?.resources?.[r.name]?.properties;
    return extra ? deepMerge(r.properties, extra) : r.properties;
  };
  for (const r of blueprint.resources) {
    const dependsOn = r.dependsOn.map((name) => refs.get(name)).filter((ref) => ref !== undefined);
    config.resource(r.type, r.name, propertiesOf(r), { dependsOn });
  }
  for (const [name, output] of Object.entries(blueprint.outputs)) config.output(name, output);

  const files: Record<string, string> = { [MAIN_FILE]: config.render() };
  const values = options.variables ?? {};
  for (const name of Object.keys(values)) {
    if (!(name in blueprint.variables)) throw new UnknownVariable(name, Object.keys(blueprint.variables));
  }
  if (Object.keys(values).length > 0) files[VARIABLES_FILE] = renderJson(values);
  return {
    files,
    hash: `sha256:${createHash('sha256').update(canonicalJson(files)).digest('hex')}`,
    schemaName,
    env: options.backend.connStr ? { PG_CONN_STR: options.backend.connStr } : {},
  };
}

/** Writes the synthesized files into `dir` (created if missing). */
export async function writeSynthesis(dir: string, synthesis: Pick<Synthesis, 'files'>): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const [name, content] of Object.entries(synthesis.files)) {
    await writeFile(path.join(dir, name), content);
  }
}
