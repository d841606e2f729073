import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { BlueprintSyntaxError } from '../blueprints/errors.js';
import { formatOf, parseBlueprintText } from '../blueprints/format.js';
import { setting, type Env } from '../config.js';
import { ConfigError } from '../errors.js';
import { PlaybookInvalid, type PlaybookProblem } from './errors.js';
import { hasRules } from './match.js';
import type { Playbook } from './schema.js';
import { playbookProblems, toPlaybook } from './validate.js';

const PLAYBOOK_FILE = /\.(ya?ml|json)$/i;

/** Paths in messages as the operator typed them: relative to the working directory when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/**
 * One playbook document (YAML or JSON: the YAML parser reads both and reports line and column) as a
 * Playbook, or the problems with it, each naming `file` and the field.
 */
export function parsePlaybook(text: string, file: string): Playbook | PlaybookProblem[] {
  let doc: unknown;
  try {
    doc = parseBlueprintText(text, formatOf(path.extname(file)));
  } catch (error) {
    if (error instanceof BlueprintSyntaxError) return [{ file, path: '', message: error.message }];
    throw error;
  }
  const problems = playbookProblems(doc);
  return problems.length > 0 ? problems.map((p) => ({ file, ...p })) : toPlaybook(doc, file);
}

/** Rules two playbooks cannot share: the same id, classifier cause, or identical match rules. */
function crossProblems(playbooks: readonly Playbook[]): PlaybookProblem[] {
  const problems: PlaybookProblem[] = [];
  const claim = (
    key: string,
    playbook: Playbook,
    field: string,
    what: string,
    seen: Map<string, Playbook>,
  ) => {
    const other = seen.get(key);
    if (other) problems.push({ file: playbook.file, path: field, message: `${what} (also ${other.file})` });
    else seen.set(key, playbook);
  };
  const ids = new Map<string, Playbook>();
  const causes = new Map<string, Playbook>();
  const rules = new Map<string, Playbook>();
  for (const p of playbooks) {
    claim(p.id, p, 'id', `duplicate playbook id "${p.id}"`, ids);
    if (p.match.classifierCause)
      claim(
        p.match.classifierCause,
        p,
        'match.classifierCause',
        `${p.match.classifierCause} already handled`,
        causes,
      );
    if (hasRules(p)) {
      const { alertNames, labels, severities } = p.match;
      const key = JSON.stringify([
        [...(alertNames ?? [])].sort(),
        Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        [...(severities ?? [])].sort(),
      ]);
      claim(key, p, 'match', 'the same rules as another playbook: one of them could never be chosen', rules);
    }
  }
  return problems;
}

/**
 * Every playbook file (*.yaml, *.yml, *.json) directly in `dir`, validated together: a single bad file
 * refuses the whole set, with every problem of every file listed, so a typo never quietly drops a
 * playbook. Sorted by id.
 */
export async function loadPlaybooks(dir: string): Promise<Playbook[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT')
      throw new PlaybookInvalid([{ file: shown(dir), path: '', message: 'no such directory' }]);
    throw error;
  });
  const files = entries
    .filter((e) => e.isFile() && PLAYBOOK_FILE.test(e.name))
    .map((e) => path.join(dir, e.name))
    .sort();
  const problems: PlaybookProblem[] = [];
  const playbooks: Playbook[] = [];
  for (const file of files) {
    const parsed = parsePlaybook(await readFile(file, 'utf8'), shown(file));
    if (Array.isArray(parsed)) problems.push(...parsed);
    else playbooks.push(parsed);
  }
  problems.push(...crossProblems(playbooks));
  if (problems.length > 0) throw new PlaybookInvalid(problems);
  return playbooks.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** PLAYBOOKS_DIR, resolved against the working directory. */
export function playbooksDir(env: Env = process.env): string {
  return path.resolve(setting('PLAYBOOKS_DIR', env));
}

/** CLASSIFIER_MIN_CONFIDENCE as a number in 0..1. */
export function classifierMinConfidence(env: Env = process.env): number {
  const raw = setting('CLASSIFIER_MIN_CONFIDENCE', env);
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1)
    throw new ConfigError('CLASSIFIER_MIN_CONFIDENCE', 'a number from 0 to 1', raw);
  return value;
}
