import type { NormalizedAlert } from '../alerts/alert.js';
import { actionParams, DURATION_PATTERN, isPlaybookAction, type ParamType } from './actions.js';
import { PlaybookRenderError } from './errors.js';
import type { PlaybookStep } from './schema.js';

/**
 * `{{ path }}` substitution over an alert's fields, and nothing more: no expressions, filters or code,
 * so a playbook file can never run anything. Unknown paths are refused when the playbook is loaded;
 * a label the alert does not carry is refused when the step is rendered.
 */

const TEMPLATE = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_TEMPLATE = /^\{\{\s*([^{}]*?)\s*\}\}$/;
const SCALAR_FIELDS = ['alertName', 'target', 'severity', 'fingerprint', 'source', 'status', 'startsAt'];
const MAP_FIELDS = ['labels', 'annotations'];
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const TEMPLATE_PATHS = [...SCALAR_FIELDS, ...MAP_FIELDS.map((m) => `${m}.<name>`)];

/** Why `path` is not a template variable, or undefined when it is one. */
function pathProblem(path: string): string | undefined {
  const [root = '', key, ...rest] = path.split('.');
  if (SCALAR_FIELDS.includes(root) && key === undefined) return undefined;
  if (MAP_FIELDS.includes(root) && key !== undefined && KEY.test(key) && rest.length === 0) return undefined;
  return `unknown template variable "${path}"; known: ${TEMPLATE_PATHS.join(', ')}`;
}

/** Problems with the templates inside one string (unknown variables, unbalanced braces). */
export function templateProblems(text: string): string[] {
  const problems = [...text.matchAll(TEMPLATE)].flatMap((m) => pathProblem(m[1] ?? '') ?? []);
  const rest = text.replace(TEMPLATE, '');
  if (rest.includes('{{') || rest.includes('}}')) problems.push('unbalanced "{{" or "}}" in template');
  return problems;
}

export const isTemplated = (value: unknown): boolean => typeof value === 'string' && value.includes('{{');

function lookup(alert: NormalizedAlert, path: string): string | undefined {
  const [root = '', key = ''] = path.split('.');
  if (MAP_FIELDS.includes(root)) {
    const map = root === 'labels' ? alert.labels : alert.annotations;
    // Own properties only: `labels.constructor` must not reach Object.prototype.
    return Object.hasOwn(map, key) ? map[key] : undefined;
  }
  const value = (alert as unknown as Record<string, unknown>)[root];
  return typeof value === 'string' ? value : undefined;
}

/**
 * Every template in `value` (strings, deeply) filled in from the alert. `field` names the value in
 * errors; `playbookId` says whose.
 */
export function renderTemplate<T>(value: T, alert: NormalizedAlert, playbookId: string, field: string): T {
  if (typeof value === 'string') {
    return value.replace(TEMPLATE, (_, path: string) => {
      const problem = pathProblem(path);
      if (problem) throw new PlaybookRenderError(playbookId, field, problem);
      const found = lookup(alert, path);
      if (found === undefined || found === '')
        throw new PlaybookRenderError(playbookId, field, `the alert has no ${path}`);
      return found;
    }) as T;
  }
  if (Array.isArray(value))
    return (value as unknown[]).map((v, i) => renderTemplate(v, alert, playbookId, `${field}[${i}]`)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, renderTemplate(v, alert, playbookId, `${field}.${k}`)]),
    ) as T;
  }
  return value;
}

export type ParamValue = string | number | boolean;

/** A rendered value as its declared type: templates always render strings, so numbers are parsed here. */
export function coerceParam(value: ParamValue, type: ParamType): ParamValue | undefined {
  switch (type) {
    case 'string':
      return typeof value === 'string' && value !== '' ? value : undefined;
    case 'integer':
      if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
      return typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : undefined;
    case 'boolean':
      if (typeof value === 'boolean') return value;
      return value === 'true' ? true : value === 'false' ? false : undefined;
    case 'duration':
      return typeof value === 'string' && new RegExp(DURATION_PATTERN).test(value) ? value : undefined;
  }
}

const EXPECTED: Record<ParamType, string> = {
  string: 'a non-empty string',
  integer: 'an integer',
  boolean: 'true or false',
  duration: 'a duration such as 30s, 5m, 1h',
};
export const expectedParam = (type: ParamType) => EXPECTED[type];

export interface RenderedStep {
  name: string;
  action: string;
  params: Record<string, ParamValue>;
  timeout?: string;
}

/** The step with its params filled in from the alert and typed as its action declares. */
export function renderStep(
  step: PlaybookStep,
  alert: NormalizedAlert,
  playbookId = 'unknown',
  field = `step "${step.name}"`,
): RenderedStep {
  if (!isPlaybookAction(step.action))
    throw new PlaybookRenderError(playbookId, `${field}.action`, `unknown action "${step.action}"`);
  const specs = actionParams(step.action);
  const params: Record<string, ParamValue> = {};
  for (const [name, raw] of Object.entries(step.params ?? {})) {
    const spec = specs[name];
    const at = `${field}.params.${name}`;
    if (!spec) throw new PlaybookRenderError(playbookId, at, `not a parameter of ${step.action}`);
    const rendered = renderTemplate(raw, alert, playbookId, at);
    const typed = coerceParam(rendered, spec.type);
    if (typed === undefined) {
      throw new PlaybookRenderError(
        playbookId,
        at,
        `rendered ${JSON.stringify(rendered)}, expected ${expectedParam(spec.type)}`,
      );
    }
    params[name] = typed;
  }
  return { name: step.name, action: step.action, params, ...(step.timeout ? { timeout: step.timeout } : {}) };
}

/** Whole-value templates (`"{{ labels.replicas }}"`) may stand for any type; mixed text only for strings. */
export const isWholeTemplate = (value: unknown) => typeof value === 'string' && WHOLE_TEMPLATE.test(value);
