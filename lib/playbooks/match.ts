import type { NormalizedAlert } from '../alerts/alert.js';
import type { AlertCause } from '../alerts-ml/classifier.js';
import type { Playbook } from './schema.js';

/**
 * Which playbook handles an alert. Rules first: among the playbooks whose rules all hold, the most
 * specific wins: more matchers (each alert name list and each label matcher count one), then a
 * severity restriction over none, then fewer allowed severities, then the id in code-point order,
 * so the choice never depends on file order. Only when no rule holds does the classifier speak, and
 * only above its confidence threshold; otherwise a human decides. Types-only imports: workflows may
 * call this (and template.ts) deterministically.
 */

export interface LabelMatcher {
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** `value` equals, `!"value"` not-equals, `~"regex"` matches, `!~"regex"` does not (anchored, as Prometheus). */
export function parseMatcher(text: string): LabelMatcher | { error: string } {
  const quoted = /^(!~|!|~|=)"(.*)"$/s.exec(text);
  if (!quoted) return { op: '=', value: text };
  const [, prefix, value = ''] = quoted;
  const op = ({ '!~': '!~', '!': '!=', '~': '=~', '=': '=' } as const)[prefix as '!~' | '!' | '~' | '='];
  if (op === '=~' || op === '!~') {
    try {
      new RegExp(`^(?:${value})$`);
    } catch (e) {
      return { error: `invalid regular expression ${JSON.stringify(value)}: ${(e as Error).message}` };
    }
  }
  return { op, value };
}

function holds(matcher: LabelMatcher, actual: string): boolean {
  switch (matcher.op) {
    case '=':
      return actual === matcher.value;
    case '!=':
      return actual !== matcher.value;
    case '=~':
      return new RegExp(`^(?:${matcher.value})$`).test(actual);
    case '!~':
      return !new RegExp(`^(?:${matcher.value})$`).test(actual);
  }
}

/** Approval is needed when the environment requires it or the playbook's risk does. */
export function needsApproval(playbook: Playbook, environment: string): boolean {
  return (
    playbook.approval.environments.includes(environment) || playbook.approval.whenRisk.includes(playbook.risk)
  );
}

/** Whether the playbook has rules at all (a classifier-only playbook never matches by rule). */
export const hasRules = ({ match }: Playbook) =>
  match.alertNames !== undefined || match.labels !== undefined || match.severities !== undefined;

export function rulesHold(playbook: Playbook, alert: NormalizedAlert): boolean {
  const { alertNames, labels = {}, severities } = playbook.match;
  if (!hasRules(playbook)) return false;
  if (alertNames && !alertNames.includes(alert.alertName)) return false;
  if (severities && !severities.includes(alert.severity)) return false;
  return Object.entries(labels).every(([name, text]) => {
    const matcher = parseMatcher(text);
    // A missing label is the empty string, as in Prometheus: `!"prod"` holds for an unlabelled alert.
    return !('error' in matcher) && holds(matcher, alert.labels[name] ?? '');
  });
}

/** Sort key: smaller sorts first, i.e. more specific first. */
function specificity({ id, match }: Playbook): [number, number, number, string] {
  const matchers = (match.alertNames ? 1 : 0) + Object.keys(match.labels ?? {}).length;
  return [-matchers, match.severities ? 0 : 1, match.severities?.length ?? 0, id];
}

export function bySpecificity(a: Playbook, b: Playbook): number {
  const [x, y] = [specificity(a), specificity(b)];
  for (let i = 0; i < x.length; i++) {
    if (x[i]! < y[i]!) return -1;
    if (x[i]! > y[i]!) return 1;
  }
  return 0;
}

export interface Classification {
  cause: AlertCause;
  confidence: number;
}

export type PlaybookChoice =
  | {
      kind: 'rule';
      playbook: Playbook;
      /** Every playbook whose rules held, chosen first, for the incident timeline. */
      candidates: string[];
    }
  | { kind: 'classifier'; playbook: Playbook; classification: Classification }
  | { kind: 'escalate'; reason: string; classification?: Classification };

/** The rule-matched playbooks for an alert, most specific first. */
export function ruleMatches(playbooks: readonly Playbook[], alert: NormalizedAlert): Playbook[] {
  return playbooks.filter((p) => rulesHold(p, alert)).sort(bySpecificity);
}

export interface MatchOptions {
  /** Least classifier confidence (0..1) that may pick a playbook; CLASSIFIER_MIN_CONFIDENCE. */
  minConfidence: number;
}

export async function matchPlaybook(
  playbooks: readonly Playbook[],
  alert: NormalizedAlert,
  classify: ((alert: NormalizedAlert) => Promise<Classification>) | undefined,
  { minConfidence }: MatchOptions,
): Promise<PlaybookChoice> {
  const matched = ruleMatches(playbooks, alert);
  if (matched[0]) return { kind: 'rule', playbook: matched[0], candidates: matched.map((p) => p.id) };
  if (!classify) return { kind: 'escalate', reason: `no playbook rule matches ${describe(alert)}` };
  const { cause, confidence } = await classify(alert);
  const classification = { cause, confidence };
  const shown = `${cause} (confidence ${confidence.toFixed(2)})`;
  if (cause === 'UNKNOWN')
    return { kind: 'escalate', reason: `no rule matches and the classifier says ${shown}`, classification };
  if (confidence < minConfidence) {
    return {
      kind: 'escalate',
      reason: `no rule matches and the classifier's ${shown} is below ${minConfidence}`,
      classification,
    };
  }
  const playbook = playbooks.find((p) => p.match.classifierCause === cause);
  if (!playbook)
    return {
      kind: 'escalate',
      reason: `the classifier says ${shown} but no playbook handles it`,
      classification,
    };
  return { kind: 'classifier', playbook, classification };
}

const describe = (alert: NormalizedAlert) => `${alert.alertName} (${alert.severity}) on ${alert.target}`;

/** Adapts a loaded classifier (lib/alerts-ml) to the alert shape: summary, else description. */
export function classifierFor(classifier: {
  classify(text: {
    alertName: string;
    summary: string;
    labels: Record<string, string>;
  }): Promise<Classification>;
}): (alert: NormalizedAlert) => Promise<Classification> {
  return (alert) =>
    classifier.classify({
      alertName: alert.alertName,
      summary: alert.annotations.summary ?? alert.annotations.description ?? '',
      labels: alert.labels,
    });
}
