import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type pg from 'pg';
import { incidentWorkflowId } from '../lib/alerts/alert.js';
import { alertmanagerPayload } from '../test/webhooks/payloads.js';
import { incidentQuery } from '../workflows/remediation/contract.js';
import { emptySample, runBatch } from './load.js';
import { summarize, type LatencySummary } from './stats.js';

export interface StormOptions {
  notifications: number;
  fingerprints: number;
  perRequest: number;
  concurrency: number;
  /** How long to wait for every notification to be counted after the last 202. */
  settleMs: number;
}

export interface StormResult {
  requests: LatencySummary;
  firstError?: string;
  /** First request sent → last 202. */
  acceptedMs: number;
  /** First request sent → every notification counted in the incidents table (or the settle timeout). */
  wallMs: number;
  /** Remediation workflows with the storm's ids, from Temporal visibility. */
  workflows: number;
  /** Incident rows and the notifications they count, from PostgreSQL. */
  incidents: number;
  countedInTable: number;
  /** Notifications the workflows themselves hold (incident query on every storm workflow). */
  countedInWorkflows: number;
}

/**
 * `notifications` alerts over `fingerprints` fingerprints, `perRequest` alerts per Alertmanager
 * notification: request p carries fingerprints p*perRequest.. modulo the fingerprint count, so every
 * fingerprint repeats notifications/fingerprints times and repeats race their first start.
 */
export async function runStorm(
  opts: StormOptions,
  idPrefix: string,
  post: (payload: unknown) => Promise<void>,
  client: Client,
  db: pg.Pool,
  hooks: { onStart?: () => Promise<void>; onAccepted?: () => Promise<void> } = {},
): Promise<StormResult> {
  const fingerprint = (n: number) => `${idPrefix}${n % opts.fingerprints}`;
  const sample = emptySample();
  await hooks.onStart?.();
  const began = performance.now();
  await runBatch(
    (p) =>
      post(
        alertmanagerPayload(
          Array.from(
            { length: Math.min(opts.perRequest, opts.notifications - p * opts.perRequest) },
            (_, i) => ({
              fingerprint: fingerprint(p * opts.perRequest + i),
              severity: 'info',
            }),
          ),
        ),
      ),
    Math.ceil(opts.notifications / opts.perRequest),
    opts.concurrency,
    sample,
  );
  const acceptedMs = performance.now() - began;
  await hooks.onAccepted?.();

  const table = await waitForCounts(db, idPrefix, opts.notifications, opts.settleMs);
  const wallMs = performance.now() - began;

  return {
    requests: summarize(sample.latenciesMs, sample.errors, sample.busyMs),
    ...(sample.firstError ? { firstError: sample.firstError } : {}),
    acceptedMs,
    wallMs,
    workflows: await visibleWorkflows(client, incidentWorkflowId(idPrefix), opts.fingerprints),
    incidents: table.incidents,
    countedInTable: table.notifications,
    countedInWorkflows: await notificationsInWorkflows(
      client,
      Array.from({ length: opts.fingerprints }, (_, n) => incidentWorkflowId(fingerprint(n))),
    ),
  };
}

export interface Counts {
  incidents: number;
  notifications: number;
}

/**
 * Incidents whose fingerprint starts with `idPrefix` and the notifications they counted, polled until
 * `expected` notifications are counted or `timeoutMs` passed: the workflows record them asynchronously.
 */
export async function waitForCounts(
  db: pg.Pool,
  idPrefix: string,
  expected: number,
  timeoutMs: number,
): Promise<Counts> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await db.query<Counts>(
      `SELECT count(*)::int AS incidents, coalesce(sum(notifications), 0)::int AS notifications
       FROM incidents WHERE fingerprint LIKE $1`,
      [`${idPrefix}%`],
    );
    const counts = rows[0]!;
    if (counts.notifications >= expected || Date.now() > deadline) return counts;
    await sleep(200);
  }
}

/** Visibility is eventually consistent: the count once it reaches `expected` or stops changing. */
async function visibleWorkflows(client: Client, idPrefix: string, expected: number): Promise<number> {
  let last = -1;
  for (let stable = 0; stable < 10;) {
    const { count } = await client.workflow.count(`WorkflowId STARTS_WITH "${idPrefix}"`);
    if (count === expected) return count;
    stable = count === last ? stable + 1 : 0;
    last = count;
    await sleep(500);
  }
  return last;
}

/** Sum of the notifications each workflow counted; a workflow that does not exist counts none. */
async function notificationsInWorkflows(client: Client, workflowIds: string[]): Promise<number> {
  let total = 0;
  const sample = emptySample();
  await runBatch(
    async (i) => {
      const state = await client.workflow.getHandle(workflowIds[i]!).query(incidentQuery);
      total += state?.notifications ?? 0;
    },
    workflowIds.length,
    16,
    sample,
  );
  return total;
}
