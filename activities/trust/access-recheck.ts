import { ApplicationFailure } from '@temporalio/activity';
import type { ActivityDeps } from '../deps.js';
import { appendAudit } from '../../lib/db/audit.js';
import { trustOptionsFromEnv } from '../../lib/trust/options.js';
import {
  evaluateAccess,
  needsRecheck,
  type AccessDecision,
  type AccessRequest,
  type Verdict,
} from '../../lib/trust/zero-trust.js';
import { activityOrigin } from '../origin.js';

/** Failure type when a party of a deployment is no longer allowed to go ahead. Never retried. */
export const ACCESS_DENIED = 'AccessDenied';

/** What the zero-trust check needs about a person, besides what they touch (from their token claims). */
export type AccessContext = Omit<AccessRequest, 'resource' | 'action' | 'environment'>;

export interface AccessParty {
  role: 'requester' | 'approver';
  subject: string;
  /** Claims snapshot; when present an expired decision is recomputed from it. */
  context?: AccessContext;
  /** The party's last decision, reused while it is ALLOW and younger than the decision TTL. */
  prior?: AccessDecision;
  /** Approvers: when they decided (ISO 8601). */
  decidedAt?: string;
}

export interface RecheckAccessInput {
  resource: string;
  action: string;
  environment: string;
  parties: AccessParty[];
}

export interface PartyDecision {
  role: AccessParty['role'];
  subject: string;
  decision: Verdict;
  /** prior: reused; recomputed: evaluated now; recorded: the API's decision on this run; approval: see below. */
  source: 'prior' | 'recomputed' | 'recorded' | 'approval';
  decidedAt: string;
  expiresAt: string;
  score?: number;
  reasons: string[];
}

/** Zero-trust re-check of the people behind a deployment, right before it changes anything (trust pool). */
export function createAccessRecheckActivities(deps: ActivityDeps) {
  const options = trustOptionsFromEnv(deps.env);
  const ttlMs = options.ttlSeconds * 1000;

  /** The API's zero-trust decision for `subject` on this run (its approve guard records one). */
  async function recorded(
    subject: string,
    workflowId: string | undefined,
  ): Promise<PartyDecision | undefined> {
    if (workflowId === undefined) return undefined;
    const { rows } = await deps.db.query<{ action: string; at: Date; reason: string | null }>(
      `SELECT action, at, reason FROM audit_log WHERE actor = $1 AND workflow_id = $2
          AND action IN ('AccessGranted', 'AccessDenied') ORDER BY id DESC LIMIT 1`,
      [subject, workflowId],
    );
    const row = rows[0];
    if (!row) return undefined;
    return {
      role: 'approver',
      subject,
      decision: row.action === 'AccessGranted' ? 'ALLOW' : 'DENY',
      source: 'recorded',
      decidedAt: row.at.toISOString(),
      expiresAt: new Date(row.at.getTime() + ttlMs).toISOString(),
      reasons: row.reason ? [row.reason] : [],
    };
  }

  return {
    /**
     * Decides for every party: a prior ALLOW younger than the TTL (15 min) stands; an older one is
     * recomputed from the party's claims snapshot. A party without a snapshot (an approver) is judged by
     * the zero-trust decision the API recorded when they approved, or, when they approved through
     * Temporal itself (whose authorization admitted them), by the approval, both only while younger than
     * the TTL. Any party not allowed fails the step with a non-retryable AccessDenied.
     */
    async recheckAccess(input: RecheckAccessInput): Promise<PartyDecision[]> {
      const origin = activityOrigin();
      // Freshness is judged when the check runs, not when it was first scheduled: a retry an hour later
      // must not find a 14-minute-old decision fresh. The audit rows stay keyed on the activity, so a
      // retry adds none.
      const now = new Date();
      const results: PartyDecision[] = [];
      for (const party of input.parties) {
        const base = { role: party.role, subject: party.subject };
        if (party.prior && !needsRecheck(party.prior, now)) {
          results.push({ ...base, ...pick(party.prior), source: 'prior' });
          continue;
        }
        if (party.context) {
          const request: AccessRequest = {
            ...party.context,
            subject: party.subject,
            resource: input.resource,
            action: input.action,
            environment: input.environment,
          };
          const decision = evaluateAccess(request, options, now);
          await appendAudit(deps.db, {
            actor: party.subject,
            action: decision.decision === 'ALLOW' ? 'AccessGranted' : 'AccessDenied',
            target: input.resource,
            decision: decision.access ? `${decision.decision}:${decision.access}` : decision.decision,
            reason: decision.reasons.join('; '),
            ...(origin.workflowId !== undefined ? { workflowId: origin.workflowId } : {}),
            ...(origin.runId !== undefined ? { runId: origin.runId } : {}),
            details: {
              action: input.action,
              role: party.role,
              score: decision.score,
              scores: decision.scores,
            },
            dedupeKey: `${origin.key}/${party.role}/${party.subject}`,
          });
          results.push({ ...base, ...pick(decision), source: 'recomputed' });
          continue;
        }
        const found = await recorded(party.subject, origin.workflowId);
        if (found) {
          results.push({
            ...found,
            ...base,
            decision: fresh(found.decidedAt, now) ? found.decision : 'DENY',
          });
          continue;
        }
        const decidedAt = party.decidedAt ?? new Date(0).toISOString();
        results.push({
          ...base,
          decision: fresh(decidedAt, now) ? 'ALLOW' : 'DENY',
          source: 'approval',
          decidedAt,
          expiresAt: new Date(Date.parse(decidedAt) + ttlMs).toISOString(),
          reasons: [`${party.role} decision of ${decidedAt}`],
        });
      }
      const refused = results.filter((r) => r.decision !== 'ALLOW');
      if (refused.length > 0) {
        throw ApplicationFailure.create({
          type: ACCESS_DENIED,
          nonRetryable: true,
          message:
            `zero-trust re-check refused ${refused.map((r) => `${r.role} ${r.subject} (${r.decision})`).join(', ')}` +
            ` before ${input.action} of ${input.resource}`,
          details: [results],
        });
      }
      return results;
    },
  };

  function fresh(decidedAt: string, now: Date): boolean {
    return now.getTime() - Date.parse(decidedAt) < ttlMs;
  }
}

function pick(decision: AccessDecision): Omit<PartyDecision, 'role' | 'subject' | 'source'> {
  return {
    decision: decision.decision,
    decidedAt: decision.decidedAt,
    expiresAt: decision.expiresAt,
    score: decision.score,
    reasons: decision.reasons,
  };
}
