import { ACTION_NAMES, actionParams, isPlaybookAction } from './actions.js';
import { parseMatcher } from './match.js';
import { fieldPath, schemaChecker, type FieldProblem, type Segment } from '../schema-problems.js';
import {
  DEFAULT_APPROVAL_ENVIRONMENTS,
  DEFAULT_APPROVAL_RISKS,
  PlaybookInput,
  PRE_CHECK_SCHEMAS,
  PROBE_SCHEMAS,
  type Playbook,
  type PlaybookStep,
  type PreCheck,
  type Probe,
} from './schema.js';
import { coerceParam, expectedParam, isTemplated, isWholeTemplate, templateProblems } from './template.js';

const checkInput = schemaChecker(PlaybookInput);
const preCheckCheckers = Object.fromEntries(
  Object.entries(PRE_CHECK_SCHEMAS).map(([kind, schema]) => [kind, schemaChecker(schema)]),
);
const probeCheckers = Object.fromEntries(
  Object.entries(PROBE_SCHEMAS).map(([kind, schema]) => [kind, schemaChecker(schema)]),
);

/** Every template in a value, with the field path of the string holding it. */
function templateFieldProblems(value: unknown, at: Segment[]): FieldProblem[] {
  if (typeof value === 'string') return templateProblems(value).map((message) => ({ segments: at, message }));
  if (Array.isArray(value)) return value.flatMap((v, i) => templateFieldProblems(v, [...at, i]));
  if (value !== null && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => templateFieldProblems(v, [...at, k]));
  return [];
}

/** An action and its params: known action, known and required params, literals of the declared type. */
function invocationProblems(action: string, params: PlaybookStep['params'], at: Segment[]): FieldProblem[] {
  if (!isPlaybookAction(action))
    return [
      {
        segments: [...at, 'action'],
        message: `unknown action "${action}"; known: ${ACTION_NAMES.join(', ')}`,
      },
    ];
  const specs = actionParams(action);
  const given = params ?? {};
  const problems: FieldProblem[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    if (spec.required && !(name in given))
      problems.push({ segments: [...at, 'params', name], message: `is required by ${action}` });
  }
  for (const [name, value] of Object.entries(given)) {
    const where = [...at, 'params', name];
    const spec = specs[name];
    if (!spec) {
      const known = Object.keys(specs).join(', ');
      problems.push({ segments: where, message: `not a parameter of ${action}; known: ${known}` });
    } else if (isTemplated(value)) {
      if (spec.type !== 'string' && !isWholeTemplate(value))
        problems.push({
          segments: where,
          message: `must be ${expectedParam(spec.type)} or a single {{ }} template`,
        });
    } else if (coerceParam(value, spec.type) === undefined) {
      problems.push({ segments: where, message: `must be ${expectedParam(spec.type)}` });
    }
  }
  return [...problems, ...templateFieldProblems(given, [...at, 'params'])];
}

function stepsProblems(steps: readonly PlaybookStep[], key: 'steps' | 'rollback'): FieldProblem[] {
  const seen = new Map<string, number>();
  return steps.flatMap((step, i) => {
    const first = seen.get(step.name);
    if (first === undefined) seen.set(step.name, i);
    const duplicate =
      first === undefined
        ? []
        : [{ segments: [key, i, 'name'], message: `duplicate step name (also ${key}[${first}])` }];
    return [...duplicate, ...invocationProblems(step.action, step.params, [key, i])];
  });
}

function matchProblems(match: PlaybookInput['match']): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (Object.keys(match).length === 0) {
    problems.push({
      segments: ['match'],
      message: 'must name at least one of alertNames, labels, severities, classifierCause',
    });
  }
  for (const [name, text] of Object.entries(match.labels ?? {})) {
    const matcher = parseMatcher(text);
    if ('error' in matcher) problems.push({ segments: ['match', 'labels', name], message: matcher.error });
  }
  return problems;
}

function kindProblems(
  items: readonly { kind: string }[],
  base: Segment[],
  checkers: Record<string, (value: unknown, at?: Segment[]) => FieldProblem[]>,
): FieldProblem[] {
  return items.flatMap((item, i) => {
    const at = [...base, i];
    const shape = checkers[item.kind]!(item, at);
    if (shape.length > 0) return shape;
    const checked = item as PreCheck | Probe;
    if (checked.kind === 'snapshot') return invocationProblems(checked.action, checked.params, at);
    if (checked.kind === 'dependencies-healthy')
      return kindProblems(checked.probes, [...at, 'probes'], probeCheckers);
    // Label values come from whoever sends alerts: they may pick the database, never write the SQL (which
    // could read any table the worker can). PromQL only reads metrics, so its queries may use labels.
    const queried = checked.kind === 'sql' && isTemplated(checked.query);
    return [
      ...(queried
        ? [
            {
              segments: [...at, 'query'],
              message: 'an SQL query cannot contain {{ }} templates: alert labels must never become SQL',
            },
          ]
        : []),
      ...templateFieldProblems(checked, at),
    ];
  });
}

/** Everything wrong with one document: schema problems first; the rest needs a well-formed document. */
export function playbookProblems(doc: unknown): { path: string; message: string }[] {
  const shape = checkInput(doc);
  const problems =
    shape.length > 0
      ? shape
      : (() => {
          const input = doc as PlaybookInput;
          return [
            ...matchProblems(input.match),
            ...kindProblems(input.preChecks ?? [], ['preChecks'], preCheckCheckers),
            ...stepsProblems(input.steps, 'steps'),
            ...kindProblems(input.verification.probes, ['verification', 'probes'], probeCheckers),
            ...stepsProblems(input.rollback ?? [], 'rollback'),
          ];
        })();
  return problems.map(({ segments, message }) => ({ path: fieldPath(segments), message }));
}

/** A well-formed document (no problems) with its defaults filled in. */
export function toPlaybook(doc: unknown, file: string): Playbook {
  const input = doc as PlaybookInput;
  return {
    ...input,
    approval: {
      environments: input.approval?.environments ?? DEFAULT_APPROVAL_ENVIRONMENTS,
      whenRisk: input.approval?.whenRisk ?? DEFAULT_APPROVAL_RISKS,
    },
    preChecks: (input.preChecks ?? []) as PreCheck[],
    verification: { window: input.verification.window, probes: input.verification.probes as Probe[] },
    rollback: input.rollback ?? [],
    onResolved: input.onResolved ?? 'stop',
    file,
  };
}
