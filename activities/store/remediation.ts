import { ApplicationFailure } from '@temporalio/common';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { ActivityDeps } from '../deps.js';
import { activityOrigin } from '../origin.js';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import { boolSetting, parseDuration } from '../../lib/config.js';
import {
  addTimelineEntry,
  releaseRemediationSlot,
  reserveRemediationSlot,
  setIncidentPlaybook,
  storeFailureReport,
} from '../../lib/incidents/remediation-store.js';
import { PlaybookInvalid } from '../../lib/playbooks/errors.js';
import { classifierMinConfidence, loadPlaybooks, playbooksDir } from '../../lib/playbooks/load.js';
import {
  matchPlaybook,
  ruleMatches,
  type Classification,
  type PlaybookChoice,
} from '../../lib/playbooks/match.js';
import type { Playbook } from '../../lib/playbooks/schema.js';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import { lockStateQuery, lockWorkflowId, type LockHolder } from '../../workflows/lib/lock-contract.js';

interface Scoped {
  /** The remediation workflow's generation: its activity ids restart after continue-as-new. */
  scope: string;
}

export interface SelectPlaybookInput {
  alert: NormalizedAlert;
  /** The alert classifier's answer (ml pool), asked for only when no rule matched. */
  classification?: Classification;
}

/** A playbook choice, or the request to classify the alert first (the classifier runs on the ml pool). */
export type PlaybookSelection = PlaybookChoice | { kind: 'classify' };

const PLAYBOOKS_INVALID = 'PlaybooksInvalid';

/**
 * Decisions and records of the remediation workflow that need the database, the playbook files or the
 * Temporal client (orchestration pool). Pre-check verdicts are answers, not failures: the workflow
 * decides what a refusal means (escalate), and a retry of a check asks the same question again.
 */
export function createRemediationStoreActivities(deps: ActivityDeps) {
  const topology = createPostgresTopologyStore(deps.db);
  const autoHeal = boolSetting('REMEDIATION_AUTO_HEAL', deps.env);
  const minConfidence = classifierMinConfidence(deps.env);
  let playbooks: Promise<Playbook[]> | undefined;
  const loaded = () => {
    playbooks ??= loadPlaybooks(playbooksDir(deps.env)).catch((error: unknown) => {
      playbooks = undefined;
      // A broken playbook set is fixed by a person, not by retrying; the message lists every problem.
      if (error instanceof PlaybookInvalid)
        throw ApplicationFailure.nonRetryable(error.message, PLAYBOOKS_INVALID);
      throw error;
    });
    return playbooks;
  };

  return {
    /** Rules first; without a rule match, asks for the classifier's answer and then picks by cause. */
    async selectPlaybook(input: SelectPlaybookInput): Promise<PlaybookSelection> {
      if (!autoHeal)
        return { kind: 'escalate', reason: 'automatic remediation is off (REMEDIATION_AUTO_HEAL)' };
      const { alert, classification } = input;
      if (alert.labels.dharma_autoheal === 'false')
        return { kind: 'escalate', reason: 'the alert opts out of automatic remediation (dharma_autoheal)' };
      const all = await loaded();
      const classifiable = all.some((p) => p.match.classifierCause !== undefined);
      if (!classification && classifiable && ruleMatches(all, alert).length === 0)
        return { kind: 'classify' };
      const classify = classifiable && classification ? () => Promise.resolve(classification) : undefined;
      return matchPlaybook(all, alert, classify, { minConfidence });
    },

    /** The holder of any of the lock keys (a deployment in progress on the target), or null. */
    async findActiveDeployment(input: {
      keys: string[];
    }): Promise<{ key: string; holder: LockHolder } | null> {
      for (const key of input.keys) {
        try {
          const state = await deps.temporal.workflow.getHandle(lockWorkflowId(key)).query(lockStateQuery);
          if (state.holder) return { key, holder: state.holder };
        } catch (error) {
          // No lock workflow was ever started for the key: nobody holds it.
          if (error instanceof WorkflowNotFoundError) continue;
          throw error;
        }
      }
      return null;
    },

    /** Takes one of the target's remediation slots (rate limit), or says why not. */
    async reserveRemediationSlot(
      input: Scoped & {
        incidentId: string;
        target: string;
        playbook: string;
        max: number;
        per: string;
        at: string;
      },
    ) {
      const windowMs = parseDuration(input.per);
      if (windowMs === undefined)
        throw ApplicationFailure.nonRetryable(
          `rate-limit.per: expected a duration, got ${input.per}`,
          'InvalidPreCheck',
        );
      const { scope, per: _per, ...request } = input;
      return reserveRemediationSlot(deps.db, { ...request, windowMs }, activityOrigin(scope).key);
    },

    /** Gives back a slot reserveRemediationSlot granted, when the remediation did not run after all. */
    async releaseRemediationSlot(input: { slot: string }): Promise<void> {
      await releaseRemediationSlot(deps.db, input.slot);
    },

    /** What depends on the target in the topology store (blast radius). */
    async measureBlastRadius(input: { target: string }): Promise<{ dependents: string[] }> {
      const found = await topology.dependents(input.target);
      return { dependents: found.map((d) => `${d.stack}:${d.environment}/${d.address}`) };
    },

    async recordIncidentStep(
      input: Scoped & { incidentId: string; at: string; kind: string; detail: Record<string, unknown> },
    ): Promise<void> {
      const { scope, ...entry } = input;
      await addTimelineEntry(deps.db, entry, activityOrigin(scope).key);
    },

    async setIncidentPlaybook(input: { incidentId: string; playbook: string }): Promise<void> {
      await setIncidentPlaybook(deps.db, input.incidentId, input.playbook);
    },

    async storeFailureReport(input: { incidentId: string; report: Record<string, unknown> }): Promise<void> {
      await storeFailureReport(deps.db, input.incidentId, input.report);
    },
  };
}

export type RemediationStoreActivities = ReturnType<typeof createRemediationStoreActivities>;
