import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { BlueprintInvalid, BlueprintSyntaxError } from '../../lib/blueprints/errors.js';
import { readBlueprintFile } from '../../lib/blueprints/format.js';
import type { ApiClient } from '../api-client.js';
import { apiClientFor, withApiOptions } from '../api-context.js';
import type { Identity } from '../credentials.js';
import { ApiError, CommandFailed, UsageError } from '../errors.js';
import { examples } from '../output.js';
import { positiveInt } from '../parse.js';
import { followRunLive } from '../runs-api.js';

interface DeployOptions extends Identity {
  env: string;
  version?: string;
  autoApprove?: boolean;
  stack?: string;
  timeout: number;
}

interface DeploymentStarted {
  deploymentId: string;
  version: string;
  links: { temporalUi: string };
}

interface DeploymentDetail {
  state: string;
  failure?: string;
  outputs?: Record<string, unknown>;
  cost?: { monthlyDelta: number; currency: string };
  risk?: { score: number; level: string };
}

const isFile = (path: string) =>
  stat(path).then(
    (s) => s.isFile(),
    () => false,
  );

/**
 * The blueprint id to deploy: an argument naming a file is imported first (it becomes version 1.0.0 of a
 * new blueprint); anything else is the id of a stored blueprint.
 */
async function blueprintIdFor(client: ApiClient, arg: string): Promise<string> {
  if (!(await isFile(arg))) return arg;
  let input;
  try {
    input = await readBlueprintFile(arg);
  } catch (error) {
    if (error instanceof BlueprintInvalid || error instanceof BlueprintSyntaxError)
      throw new UsageError(`${arg}: ${error.message}`);
    throw error;
  }
  try {
    const created = await client.post<{ id: string; version: string }>('/v1/blueprints', input);
    console.log(`imported ${arg} as blueprint ${created.id}@${created.version}`);
    return created.id;
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {
      throw new CommandFailed(
        `${arg}: ${error.message}. Deploy the stored blueprint by id, or save the file as a new version ` +
          '(PUT /v1/blueprints/<id>) first.',
      );
    }
    throw error;
  }
}

function describe(deployment: DeploymentDetail): string {
  const lines = [`state: ${deployment.state}`];
  if (deployment.cost)
    lines.push(`cost: ${deployment.cost.currency} ${deployment.cost.monthlyDelta.toFixed(2)}/month`);
  if (deployment.risk) lines.push(`risk: ${deployment.risk.score.toFixed(3)} (${deployment.risk.level})`);
  for (const [name, value] of Object.entries(deployment.outputs ?? {}))
    lines.push(`output ${name} = ${typeof value === 'string' ? value : JSON.stringify(value)}`);
  if (deployment.failure) lines.push(`failure: ${deployment.failure}`);
  return lines.join('\n');
}

export function registerDeploy(program: Command): void {
  withApiOptions(
    program
      .command('deploy')
      .description('Deploy a blueprint (stored id, or a YAML/JSON file to import) and follow the run')
      .argument('<blueprint>', 'blueprint id, or path of a blueprint file')
      .requiredOption('--env <environment>', 'target environment, e.g. dev or production')
      .option('--version <semver>', 'blueprint version (default: the latest)')
      .option('--stack <name>', 'stack name (default: the blueprint id)')
      .option(
        '--auto-approve',
        'go ahead without approval where no gate (environment, policy, budget, risk) asks',
      )
      .option('--timeout <seconds>', 'how long to follow the run', positiveInt('--timeout'), 24 * 3600),
  )
    .addHelpText(
      'after',
      examples(
        'dharma deploy blueprints/tenant-database.yaml --env dev --auto-approve',
        'dharma deploy tenant-database --env production --version 1.2.0',
      ),
    )
    .action(async (blueprint: string, opts: DeployOptions) => {
      const client = await apiClientFor(opts);
      const blueprintId = await blueprintIdFor(client, blueprint);
      const started = await client.post<DeploymentStarted>('/v1/deployments', {
        blueprintId,
        environment: opts.env,
        ...(opts.version ? { version: opts.version } : {}),
        ...(opts.stack ? { stack: opts.stack } : {}),
        autoApply: opts.autoApprove === true,
      });
      console.log(`deploying ${blueprintId}@${started.version} to ${opts.env}: ${started.deploymentId}`);
      console.log(`  ${started.links.temporalUi}`);
      const run = await followRunLive(client, started.deploymentId, {
        timeoutMs: opts.timeout * 1000,
        approving: 'plan',
      });
      const deployment = await client.get<DeploymentDetail>(
        `/v1/deployments/${encodeURIComponent(started.deploymentId)}`,
      );
      console.log(describe(deployment));
      if (run.status !== 'COMPLETED' || deployment.state !== 'completed')
        throw new CommandFailed(`deployment ${started.deploymentId} ${deployment.state}`);
    });
}
