import type { RunDetail } from './runs-api.js';

function formatValue(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

/** `runs show`: what a person needs to decide what to do next, one fact per line. */
export function describeRun(run: RunDetail): string {
  const lines: Array<[string, string | undefined]> = [
    ['Run', run.workflowId],
    ['Run id', run.runId],
    ['Type', run.workflowType],
    ['Requester', run.requester],
    ['Environment', run.environment],
    ['Target', run.target],
    ['Status', run.status],
    ['Started', run.startTime],
    ['Closed', run.closeTime],
    ['Step', run.progress ? `${run.progress.state}: ${run.progress.step}` : undefined],
  ];
  const approval = run.approval;
  if (approval && approval.state !== 'not_requested') {
    lines.push(
      ['Approval', approval.state],
      ['Change hash', approval.changeHash],
      ['Requested by', approval.requester],
    );
    lines.push(['Summary', approval.summary], ['Expires', approval.expiresAt]);
    if (approval.warnings.length > 0) lines.push(['Warnings', approval.warnings.join('; ')]);
    if (approval.outcome) {
      const o = approval.outcome;
      lines.push([
        'Decision',
        `${o.decision} by ${o.approver ?? 'system'} at ${o.decidedAt}${o.reason ? ` (${o.reason})` : ''}`,
      ]);
    }
  }
  if (run.result !== undefined) lines.push(['Result', formatValue(run.result)]);
  if (run.failure)
    lines.push(['Failure', `${run.failure.type ? `${run.failure.type}: ` : ''}${run.failure.message}`]);
  if (run.queryError) lines.push(['Query error', run.queryError]);
  lines.push(['Temporal UI', run.links.temporalUi]);
  return lines
    .filter((line): line is [string, string] => line[1] !== undefined && line[1] !== '')
    .map(([key, value]) => `${`${key}:`.padEnd(13)}${value}`)
    .join('\n');
}
