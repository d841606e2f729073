import { canonicalJson } from '../../workflows/lib/change-hash.js';

/**
 * A small typed builder for Terraform's JSON configuration syntax (`*.tf.json`), read the same way by
 * OpenTofu and Terraform. Only the blocks Dharma generates are modelled.
 */

export interface RequiredProvider {
  source: string;
  version: string;
}

export interface VariableBlock {
  type?: string;
  description?: string;
  default?: unknown;
  sensitive?: boolean;
}

export interface OutputBlock {
  value: unknown;
  description?: string;
  sensitive?: boolean;
}

export type Arguments = Record<string, unknown>;

export interface TerraformJson {
  terraform: {
    required_providers: Record<string, RequiredProvider>;
    backend?: Record<string, Arguments>;
  };
  provider?: Record<string, Arguments>;
  variable?: Record<string, VariableBlock>;
  locals?: Arguments;
  resource?: Record<string, Record<string, Arguments>>;
  output?: Record<string, OutputBlock>;
}

/** A resource in the configuration; `attr` gives an interpolation of one of its attributes. */
export class ResourceRef {
  constructor(
    readonly type: string,
    readonly name: string,
  ) {}

  get address(): string {
    return `${this.type}.${this.name}`;
  }

  attr(attribute: string): string {
    return `\${${this.address}.${attribute}}`;
  }
}

export class DuplicateBlock extends Error {
  constructor(kind: string, name: string) {
    super(`${kind} ${JSON.stringify(name)} is declared twice`);
  }
}

export class TerraformConfig {
  private readonly doc: TerraformJson = { terraform: { required_providers: {} } };

  requireProvider(name: string, requirement: RequiredProvider): this {
    this.doc.terraform.required_providers[name] = requirement;
    return this;
  }

  backend(type: string, config: Arguments): this {
    this.doc.terraform.backend = { [type]: config };
    return this;
  }

  provider(name: string, config: Arguments): this {
    (this.doc.provider ??= {})[name] = config;
    return this;
  }

  /** Declares a variable; returns its interpolation `${var.<name>}`. */
  variable(name: string, block: VariableBlock): string {
    const variables = (this.doc.variable ??= {});
    if (name in variables) throw new DuplicateBlock('variable', name);
    variables[name] = block;
    return `\${var.${name}}`;
  }

  /** Declares a local value; returns its interpolation `${local.<name>}`. */
  local(name: string, value: unknown): string {
    (this.doc.locals ??= {})[name] = value;
    return `\${local.${name}}`;
  }

  resource(
    type: string,
    name: string,
    args: Arguments,
    options: { dependsOn?: readonly ResourceRef[] } = {},
  ): ResourceRef {
    const ofType = ((this.doc.resource ??= {})[type] ??= {});
    if (name in ofType) throw new DuplicateBlock('resource', `${type}.${name}`);
    const dependsOn = options.dependsOn ?? [];
    ofType[name] = dependsOn.length > 0 ? { ...args, depends_on: dependsOn.map((r) => r.address) } : args;
    return new ResourceRef(type, name);
  }

  output(name: string, block: OutputBlock): this {
    const outputs = (this.doc.output ??= {});
    if (name in outputs) throw new DuplicateBlock('output', name);
    outputs[name] = block;
    return this;
  }

  toJSON(): TerraformJson {
    return this.doc;
  }

  /** The configuration as text, keys sorted at every level: the same configuration gives the same bytes. */
  render(): string {
    return renderJson(this.doc);
  }
}

/** Pretty JSON with object keys sorted (JSON.parse keeps the canonical text's key order). */
export function renderJson(value: unknown): string {
  return `${JSON.stringify(JSON.parse(canonicalJson(value)), null, 2)}\n`;
}
