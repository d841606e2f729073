import { Option, type Command } from 'commander';
import { INCIDENT_STATUSES, type IncidentPage } from '../../lib/incidents/repository.js';
import { SEVERITIES } from '../../lib/playbooks/schema.js';
import { apiClientFor, withApiOptions } from '../api-context.js';
import type { Identity } from '../credentials.js';
import { describeIncident, incidentTable, type IncidentDetail } from '../incident-view.js';
import { examples, printJson } from '../output.js';
import { positiveInt } from '../parse.js';

interface ListOptions extends Identity {
  status?: string;
  severity?: string;
  target?: string;
  limit?: number;
  cursor?: string;
  json?: boolean;
}

function registerList(incidents: Command): void {
  withApiOptions(
    incidents
      .command('list')
      .description('List incidents, newest first')
      .addOption(new Option('--status <status>', 'only this status').choices([...INCIDENT_STATUSES]))
      .addOption(new Option('--severity <severity>', 'only this severity').choices([...SEVERITIES]))
      .option('--target <target>', 'only incidents about this target')
      .option('--limit <n>', 'at most this many incidents', positiveInt('--limit'), 20)
      .option('--cursor <cursor>', 'continue a previous listing (printed after a full page)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      examples('dharma incidents list', 'dharma incidents list --status escalated --severity P1 --limit 50'),
    )
    .action(async (opts: ListOptions) => {
      const client = await apiClientFor(opts);
      const page = await client.get<IncidentPage>('/v1/incidents', {
        status: opts.status,
        severity: opts.severity,
        target: opts.target,
        limit: opts.limit,
        cursor: opts.cursor,
      });
      if (opts.json) return printJson(page);
      console.log(page.items.length > 0 ? incidentTable(page.items) : 'no incidents match');
      if (page.nextCursor) console.log(`more: dharma incidents list --cursor ${page.nextCursor}`);
    });
}

function registerShow(incidents: Command): void {
  withApiOptions(
    incidents
      .command('show')
      .description('Show an incident: its facts, the failure report of a fix that did not work, the timeline')
      .argument('<id>', 'incident id')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', examples('dharma incidents show <id>', 'dharma incidents show <id> --json'))
    .action(async (id: string, opts: Identity & { json?: boolean }) => {
      const client = await apiClientFor(opts);
      const incident = await client.get<IncidentDetail>(`/v1/incidents/${encodeURIComponent(id)}`);
      if (opts.json) printJson(incident);
      else console.log(describeIncident(incident));
    });
}

export function registerIncidents(program: Command): void {
  const incidents = program
    .command('incidents')
    .description('list and inspect incidents opened from alerts, with their remediation timeline')
    .addHelpText('after', examples('dharma incidents list --status escalated', 'dharma incidents show <id>'));
  registerList(incidents);
  registerShow(incidents);
}
