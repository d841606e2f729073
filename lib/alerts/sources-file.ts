import path from 'node:path';
import { Type, type Static } from 'typebox';
import { BlueprintSyntaxError } from '../blueprints/errors.js';
import { formatOf, parseBlueprintText } from '../blueprints/format.js';
import type { Env } from '../config.js';
import { DharmaError } from '../errors.js';
import { fieldPath, schemaChecker, type FieldProblem } from '../schema-problems.js';
import { ALERT_SOURCES } from './alert.js';
import { CREDENTIAL_OF, keyHash, SOURCE_NAME_PATTERN, type WebhookSource } from './sources.js';

const ENV_NAME = Type.String({
  pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
  description: 'an environment variable name (letters, digits, _)',
});
const CREDENTIAL = Type.String({ minLength: 1 });

const SourceEntry = Type.Object(
  {
    name: Type.String({
      pattern: SOURCE_NAME_PATTERN,
      description: 'a name of up to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
    }),
    kind: Type.Enum([...ALERT_SOURCES]),
    key: Type.Optional(CREDENTIAL),
    keyEnv: Type.Optional(ENV_NAME),
    secret: Type.Optional(CREDENTIAL),
    secretEnv: Type.Optional(ENV_NAME),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const SourcesDocument = Type.Object(
  { sources: Type.Array(SourceEntry, { maxItems: 1000 }) },
  { additionalProperties: false },
);
type SourceEntry = Static<typeof SourceEntry>;

const checkDocument = schemaChecker(SourcesDocument);

export interface SourcesFileProblem {
  /** Field path as people read it, e.g. `sources[1].keyEnv`; empty for the whole file. */
  path: string;
  message: string;
}

/** WEBHOOK_SOURCES_FILE cannot be used: every problem, each naming the file and the field. */
export class WebhookSourcesInvalid extends DharmaError {
  constructor(
    readonly file: string,
    readonly problems: readonly SourcesFileProblem[],
  ) {
    super(
      `invalid webhook sources file (WEBHOOK_SOURCES_FILE):\n${problems
        .map((p) => `  ${[file, p.path, p.message].filter(Boolean).join(': ')}`)
        .join('\n')}`,
    );
  }
}

/**
 * The one credential an entry gives for its kind: inline (`key`, `secret`) or named environment variable
 * (`keyEnv`, `secretEnv`), never both, never the other kind's.
 */
function credentialOf(
  entry: SourceEntry,
  at: number,
  env: Env,
): { value: string } | { problems: FieldProblem[] } {
  const wanted = CREDENTIAL_OF[entry.kind];
  const other = wanted === 'key' ? 'secret' : 'key';
  const problems: FieldProblem[] = [];
  const how =
    wanted === 'key' ? 'a bearer key (key or keyEnv)' : 'an HMAC signing secret (secret or secretEnv)';
  for (const field of [other, `${other}Env`] as const) {
    if (entry[field] !== undefined)
      problems.push({
        segments: ['sources', at, field],
        message: `${entry.kind} sources authenticate with ${how}`,
      });
  }
  const inline = entry[wanted];
  const variable = entry[`${wanted}Env`];
  if (inline !== undefined && variable !== undefined)
    problems.push({
      segments: ['sources', at, `${wanted}Env`],
      message: `give ${wanted} or ${wanted}Env, not both`,
    });
  else if (inline === undefined && variable === undefined)
    problems.push({ segments: ['sources', at], message: `needs ${how}` });
  else if (variable !== undefined && !env[variable])
    problems.push({
      segments: ['sources', at, `${wanted}Env`],
      message: `environment variable ${variable} is not set`,
    });
  if (problems.length > 0) return { problems };
  return { value: inline ?? env[variable!]! };
}

/**
 * The sources a WEBHOOK_SOURCES_FILE document lists (YAML or JSON, by extension), credentials resolved
 * from `env` and bearer keys hashed, or WebhookSourcesInvalid listing every problem.
 */
export function parseSourcesFile(text: string, file: string, env: Env): WebhookSource[] {
  let doc: unknown;
  try {
    doc = parseBlueprintText(text, formatOf(path.extname(file)));
  } catch (error) {
    if (error instanceof BlueprintSyntaxError)
      throw new WebhookSourcesInvalid(file, [{ path: '', message: error.message }]);
    throw error;
  }
  const shape = checkDocument(doc);
  if (shape.length > 0) throw invalid(file, shape);
  const problems: FieldProblem[] = [];
  const sources: WebhookSource[] = [];
  const seen = new Map<string, number>();
  (doc as Static<typeof SourcesDocument>).sources.forEach((entry, i) => {
    const first = seen.get(entry.name);
    if (first === undefined) seen.set(entry.name, i);
    else
      problems.push({
        segments: ['sources', i, 'name'],
        message: `duplicate source name "${entry.name}" (also sources[${first}])`,
      });
    const credential = credentialOf(entry, i, env);
    if ('problems' in credential) return problems.push(...credential.problems);
    const key = CREDENTIAL_OF[entry.kind] === 'key';
    sources.push({
      source: entry.name,
      kind: entry.kind,
      secret: key ? null : credential.value,
      keyHash: key ? keyHash(credential.value) : null,
      enabled: entry.enabled ?? true,
    });
  });
  if (problems.length > 0) throw invalid(file, problems);
  return sources;
}

const invalid = (file: string, problems: readonly FieldProblem[]) =>
  new WebhookSourcesInvalid(
    file,
    problems.map(({ segments, message }) => ({ path: fieldPath(segments), message })),
  );
