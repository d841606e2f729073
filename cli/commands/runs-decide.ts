import type { Command } from 'commander';
import type { ApprovalOutcome } from '../../workflows/lib/approval-contract.js';
import { apiClientFor, withApiOptions } from '../api-context.js';
import type { ApiClient } from '../api-client.js';
import type { Identity } from '../credentials.js';
import { CommandFailed } from '../errors.js';
import { examples } from '../output.js';
import { getRun } from '../runs-api.js';

interface DecideOptions extends Identity {
  reason?: string;
}

/**
 * Approve or reject: the change hash comes from the run's own approval status, so the decision names the
 * change the user was shown; if the change moved on meanwhile the workflow refuses the stale hash.
 */
async function decide(
  client: ApiClient,
  id: string,
  decision: 'approve' | 'reject',
  reason?: string,
): Promise<void> {
  const run = await getRun(client, id);
  const approval = run.approval;
  if (approval?.state !== 'pending' || !approval.changeHash) {
    throw new CommandFailed(
      `run ${id} has no pending approval (approval: ${approval?.state ?? 'none'}, status: ${run.status})`,
    );
  }
  console.log(
    `change ${approval.changeHash} requested by ${approval.requester ?? '?'} for ${approval.environment ?? '?'}`,
  );
  if (approval.summary) console.log(`  ${approval.summary}`);
  for (const warning of approval.warnings) console.log(`  warning: ${warning}`);
  const outcome = await client.post<ApprovalOutcome>(`/v1/runs/${encodeURIComponent(id)}/approvals`, {
    decision,
    changeHash: approval.changeHash,
    ...(reason ? { reason } : {}),
  });
  console.log(`${outcome.decision} by ${outcome.approver ?? '?'} at ${outcome.decidedAt}`);
}

function registerDecision(runs: Command, decision: 'approve' | 'reject'): void {
  withApiOptions(
    runs
      .command(decision)
      .description(
        `${decision === 'approve' ? 'Approve' : 'Reject'} the change a run is waiting on (shows it first)`,
      )
      .argument('<id>', 'run id')
      .option('--reason <text>', 'why; kept in the workflow history and the audit log'),
  )
    .addHelpText(
      'after',
      examples(
        `dharma runs ${decision} change-7f3a --reason "plan reviewed"`,
        `dharma runs ${decision} change-7f3a --as bob --role approver`,
      ),
    )
    .action(async (id: string, opts: DecideOptions) =>
      decide(await apiClientFor(opts), id, decision, opts.reason),
    );
}

export function registerRunDecisions(runs: Command): void {
  registerDecision(runs, 'approve');
  registerDecision(runs, 'reject');
  withApiOptions(
    runs
      .command('cancel')
      .description('Cancel a run; its saga compensations run before it closes')
      .argument('<id>', 'run id')
      .option('--reason <text>', 'why; kept in the audit log'),
  )
    .addHelpText('after', examples('dharma runs cancel change-7f3a --reason "superseded"'))
    .action(async (id: string, opts: DecideOptions) => {
      const client = await apiClientFor(opts);
      await client.post(
        `/v1/runs/${encodeURIComponent(id)}/cancel`,
        opts.reason ? { reason: opts.reason } : {},
      );
      console.log(`cancellation of run ${id} requested`);
    });
}
