import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, parseDocument, stringify } from 'yaml';
import { packageRoot } from '../package-root.js';
import { BlueprintSyntaxError } from './errors.js';
import type { Blueprint } from './schema.js';
import { validateBlueprintInput } from './validate.js';
import type { BlueprintInput } from './schema.js';

export type BlueprintFormat = 'yaml' | 'json';

/**
 * The document in `text`. JSON is parsed by the YAML parser too (JSON is YAML 1.2), so both report
 * the line and column of a syntax error; duplicate keys are errors, not silently last-wins.
 */
export function parseBlueprintText(text: string, format: BlueprintFormat): unknown {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    const { line, col } = lineCounter.linePos(error.pos[0]);
    throw new BlueprintSyntaxError(format, line, col, error.message.split('\n')[0] ?? error.code);
  }
  return doc.toJS({ maxAliasCount: 100 }) as unknown;
}

export function formatBlueprint(bp: Blueprint, format: BlueprintFormat): string {
  return format === 'json' ? `${JSON.stringify(bp, null, 2)}\n` : stringify(bp, { lineWidth: 0 });
}

/** The format a file name or content type implies: YAML unless it says JSON. */
export function formatOf(nameOrContentType: string): BlueprintFormat {
  return /json/i.test(nameOrContentType) ? 'json' : 'yaml';
}

/** Reads and validates a blueprint file (YAML or JSON by extension). */
export async function readBlueprintFile(file: string): Promise<BlueprintInput> {
  return validateBlueprintInput(
    parseBlueprintText(await readFile(file, 'utf8'), formatOf(path.extname(file))),
  );
}

/** Starter blueprints shipped in blueprints/ (e.g. `tenant-database`). */
export function starterBlueprintPath(name: string): string {
  return path.join(packageRoot(), 'blueprints', `${name}.yaml`);
}
