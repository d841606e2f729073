import { Type, type Static, type TSchema } from 'typebox';
import { ALERT_CAUSES } from '../alerts-ml/classifier.js';
import { DURATION_PATTERN } from './actions.js';

/**
 * Shapes of a playbook file (issue 5, domain section 5). Pre-checks and probes are validated in two
 * passes: the list item only needs a known `kind` here, then the schema of that kind checks the rest,
 * so a mistake is reported against its own field instead of as "matches none of 6 alternatives".
 */

export const SEVERITIES = ['P1', 'P2', 'P3', 'P4'] as const;
export const RISK_LEVELS = ['low', 'medium', 'high'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];
export const PRE_CHECK_KINDS = [
  'no-active-deployment',
  'rate-limit',
  'blast-radius',
  'dependencies-healthy',
  'snapshot',
] as const;
export const PROBE_KINDS = ['http', 'tcp', 'sql', 'prometheus', 'alert-resolved', 'metric-normal'] as const;
/** Probes that answer at once about something else than the alert: what `dependencies-healthy` may run. */
export const DEPENDENCY_PROBE_KINDS = ['http', 'tcp', 'sql', 'prometheus'] as const;

const Duration = Type.String({ pattern: DURATION_PATTERN, description: 'a duration such as 30s, 5m, 1h' });
const Name = Type.String({ minLength: 1, maxLength: 100 });
/** A literal, or a whole `{{ path }}` template that renders to one (checked again at render time). */
const ParamValue = Type.Union([Type.String(), Type.Number(), Type.Boolean()]);

export const PlaybookStep = Type.Object(
  {
    name: Name,
    action: Type.String({ minLength: 1, description: 'One of lib/playbooks/actions.ts.' }),
    params: Type.Optional(Type.Record(Type.String(), ParamValue)),
    timeout: Type.Optional(Duration),
  },
  { additionalProperties: false },
);
export type PlaybookStep = Static<typeof PlaybookStep>;

const Kinded = (kinds: readonly string[]) =>
  Type.Object({ kind: Type.Enum([...kinds]) }, { additionalProperties: true });

export const PRE_CHECK_SCHEMAS = {
  'no-active-deployment': Type.Object({ kind: Type.Literal('no-active-deployment') }),
  'rate-limit': Type.Object({
    kind: Type.Literal('rate-limit'),
    max: Type.Integer({ minimum: 1, description: 'Remediations allowed on one target per window.' }),
    per: Duration,
  }),
  'blast-radius': Type.Object({
    kind: Type.Literal('blast-radius'),
    maxDependents: Type.Integer({ minimum: 0, description: 'Most dependents the target may have.' }),
  }),
  'dependencies-healthy': Type.Object({
    kind: Type.Literal('dependencies-healthy'),
    probes: Type.Array(Kinded(DEPENDENCY_PROBE_KINDS), {
      minItems: 1,
      description: 'Probes of what the target depends on, each run once; all must pass.',
    }),
  }),
  snapshot: Type.Object({
    kind: Type.Literal('snapshot'),
    action: Type.String({ minLength: 1 }),
    params: Type.Optional(Type.Record(Type.String(), ParamValue)),
  }),
} satisfies Record<(typeof PRE_CHECK_KINDS)[number], TSchema>;

export const PROBE_SCHEMAS = {
  http: Type.Object({
    kind: Type.Literal('http'),
    url: Type.String({ minLength: 1 }),
    expectStatus: Type.Optional(Type.Integer({ minimum: 100, maximum: 599 })),
  }),
  tcp: Type.Object({ kind: Type.Literal('tcp'), address: Type.String({ minLength: 3 }) }),
  sql: Type.Object({
    kind: Type.Literal('sql'),
    query: Type.String({ minLength: 1 }),
    database: Type.Optional(Type.String({ minLength: 1 })),
  }),
  prometheus: Type.Object({
    kind: Type.Literal('prometheus'),
    query: Type.String({ minLength: 1 }),
    below: Type.Number({ description: 'The query result must stay under this value.' }),
  }),
  'alert-resolved': Type.Object({ kind: Type.Literal('alert-resolved') }),
  'metric-normal': Type.Object({
    kind: Type.Literal('metric-normal'),
    query: Type.String({ minLength: 1, description: 'Series the anomaly model judges.' }),
    threshold: Type.Optional(
      Type.Number({ description: "The alert's threshold: a series still above it is not normal." }),
    ),
  }),
} satisfies Record<(typeof PROBE_KINDS)[number], TSchema>;

type Strict<T> = T extends { kind: unknown } ? T : never;
export type Probe = Strict<Static<(typeof PROBE_SCHEMAS)[keyof typeof PROBE_SCHEMAS]>>;
export type DependencyProbe = Extract<Probe, { kind: (typeof DEPENDENCY_PROBE_KINDS)[number] }>;
/** A pre-check; the probes of `dependencies-healthy` are checked against their own kind's schema. */
export type PreCheck =
  | Exclude<
      Strict<Static<(typeof PRE_CHECK_SCHEMAS)[keyof typeof PRE_CHECK_SCHEMAS]>>,
      { kind: 'dependencies-healthy' }
    >
  | { kind: 'dependencies-healthy'; probes: DependencyProbe[] };

export const PlaybookMatch = Type.Object(
  {
    alertNames: Type.Optional(Type.Array(Name, { minItems: 1 })),
    labels: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
        description: 'value (equals), !"value" (not equals), ~"regex", !~"regex" (anchored).',
      }),
    ),
    severities: Type.Optional(Type.Array(Type.Enum([...SEVERITIES]), { minItems: 1 })),
    classifierCause: Type.Optional(Type.Enum([...ALERT_CAUSES.filter((c) => c !== 'UNKNOWN')])),
  },
  { additionalProperties: false },
);

export const PlaybookInput = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9-]{1,62}$',
      description: '2-63 lowercase letters, digits and -',
    }),
    version: Type.Integer({ minimum: 1 }),
    description: Type.String({ minLength: 1 }),
    match: PlaybookMatch,
    risk: Type.Enum([...RISK_LEVELS]),
    approval: Type.Optional(
      Type.Object(
        {
          environments: Type.Optional(Type.Array(Name)),
          whenRisk: Type.Optional(Type.Array(Type.Enum([...RISK_LEVELS]))),
        },
        { additionalProperties: false },
      ),
    ),
    preChecks: Type.Optional(Type.Array(Kinded(PRE_CHECK_KINDS))),
    steps: Type.Array(PlaybookStep),
    verification: Type.Object(
      { window: Duration, probes: Type.Array(Kinded(PROBE_KINDS), { minItems: 1 }) },
      { additionalProperties: false },
    ),
    rollback: Type.Optional(Type.Array(PlaybookStep)),
    onResolved: Type.Optional(
      Type.Enum(['stop', 'verify'], {
        description:
          'When the alert resolves before the steps start: stop (default; nothing is touched) or verify (run anyway).',
      }),
    ),
    escalation: Type.Object(
      { notify: Type.Enum(['on-call', 'team']), after: Type.Optional(Duration) },
      { additionalProperties: false },
    ),
  },
  { additionalProperties: false },
);

export type PlaybookInput = Static<typeof PlaybookInput>;

/** A validated playbook with its defaults filled in; plain data, so it can travel in workflow inputs. */
export interface Playbook extends Omit<
  PlaybookInput,
  'approval' | 'preChecks' | 'verification' | 'rollback' | 'onResolved'
> {
  onResolved: 'stop' | 'verify';
  approval: { environments: string[]; whenRisk: RiskLevel[] };
  preChecks: PreCheck[];
  verification: { window: string; probes: Probe[] };
  rollback: PlaybookStep[];
  /** Where it was loaded from, for messages. */
  file: string;
}

export const DEFAULT_APPROVAL_ENVIRONMENTS = ['production'];
export const DEFAULT_APPROVAL_RISKS: RiskLevel[] = ['high'];
