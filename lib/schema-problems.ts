import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';

export type Segment = string | number;

export const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * Schema errors as people read them, one message per field, shared by every document Dharma validates
 * (blueprints, playbooks). `resources[2].dependsOn[0]`, `match.labels["app.kubernetes.io/name"]`.
 */
export function fieldPath(segments: readonly Segment[]): string {
  return segments
    .map((s, i) =>
      typeof s === 'number' ? `[${s}]` : IDENT.test(s) ? (i === 0 ? s : `.${s}`) : `[${JSON.stringify(s)}]`,
    )
    .join('');
}

export interface FieldProblem {
  segments: Segment[];
  message: string;
}

interface SchemaError {
  keyword: string;
  schemaPath: string;
  instancePath: string;
  params: Record<string, unknown>;
  message: string;
}

const segmentsOf = (pointer: string): Segment[] =>
  pointer
    .split('/')
    .slice(1)
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));

/** The description of the schema at `#/properties/...`: what a pattern means, in words. */
function describedAt(schema: TSchema, schemaPath: string): unknown {
  let node: unknown = schema;
  for (const key of schemaPath.replace(/^#\/?/, '').split('/').filter(Boolean)) {
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  }
  return node !== null && typeof node === 'object'
    ? (node as { description?: unknown }).description
    : undefined;
}

/**
 * A checker for `schema` reporting one message per field, under the path `at`. With `describePatterns`, a
 * failed pattern is explained by the schema's description instead of the raw regular expression.
 */
export function schemaChecker(
  schema: TSchema,
  { describePatterns = true }: { describePatterns?: boolean } = {},
): (value: unknown, at?: Segment[]) => FieldProblem[] {
  const validator = Compile(schema);
  return (value, at = []) => {
    const byField = new Map<string, { segments: Segment[]; messages: string[]; union: boolean }>();
    const add = (segments: Segment[], message: string, union = false) => {
      const key = JSON.stringify(segments);
      const entry = byField.get(key) ?? { segments, messages: [], union: false };
      if (union) entry.union = true;
      else if (!entry.messages.includes(message)) entry.messages.push(message);
      byField.set(key, entry);
    };
    for (const error of validator.Errors(value) as Iterable<SchemaError>) {
      const where = [...at, ...segmentsOf(error.instancePath)];
      const { params } = error;
      if (error.keyword === 'boolean') continue; // repeated by the parent's additionalProperties error
      if (error.keyword === 'additionalProperties' && Array.isArray(params.additionalProperties)) {
        for (const name of params.additionalProperties)
          add([...where, String(name)], 'is not an allowed property');
      } else if (error.keyword === 'required' && Array.isArray(params.requiredProperties)) {
        for (const name of params.requiredProperties) add([...where, String(name)], 'is required');
      } else if (error.keyword === 'enum' && Array.isArray(params.allowedValues)) {
        add(where, `must be one of ${params.allowedValues.map(String).join(', ')}`);
      } else if (
        describePatterns &&
        error.keyword === 'pattern' &&
        typeof describedAt(schema, error.schemaPath) === 'string'
      ) {
        add(where, `must be ${String(describedAt(schema, error.schemaPath))}`);
      } else if (error.keyword === 'anyOf') {
        add(where, '', true);
      } else {
        add(where, error.message);
      }
    }
    return [...byField.values()]
      .filter(({ messages }) => messages.length > 0)
      .map(({ segments, messages, union }) => ({
        segments,
        message: messages.join(union ? ' or ' : '; '),
      }));
  };
}
