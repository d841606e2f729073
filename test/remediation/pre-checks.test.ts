import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DescribeDBSnapshotsCommand } from '@aws-sdk/client-rds';
import { createLockActivities } from '../../activities/lock/index.js';
import { releaseRemediationSlot, reserveRemediationSlot } from '../../lib/incidents/remediation-store.js';
import { openIncident } from '../../lib/incidents/repository.js';
import { createPostgresTopologyStore } from '../../lib/topology/postgres.js';
import { lockStateQuery, lockWorkflowId } from '../../workflows/lib/lock-contract.js';
import { apiFixture, bearer, until } from '../api/api-fixture.js';
import { freePort } from '../../lib/net.js';
import { onCleanup } from '../harness/cleanup.js';
import { startMoto } from '../harness/moto.js';
import { startTestWorker, uniquePrefix } from '../harness/temporal.js';
import { createFixtureActivities } from '../workflows/fixtures/activities.js';
import { fixtureBundle } from '../workflows/fixtures/bundle.js';
import { goSignal, lockFixture } from '../workflows/fixtures/workflows.js';
import { startWebhookServer } from '../workflows/notify-server.js';
import { awsResources } from './fixtures/aws-resources.js';
import { escalation, incidentApi, kinds, settled, type IncidentView } from './fixtures/incident-api.js';
import { preCheckPlaybooks } from './fixtures/pre-check-playbooks.js';
import { writeTestPlaybooks } from './fixtures/test-playbooks.js';

const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-pre-checks-'));
onCleanup(() => fs.rm(scratch, { recursive: true, force: true }));
const logDir = path.join(scratch, 'logs');
await fs.mkdir(logDir);
const hook = await startWebhookServer();
const moto = await startMoto();
const f = await apiFixture({
  workers: true,
  pools: ['cloud'],
  workerEnv: {
    PLAYBOOKS_DIR: await writeTestPlaybooks(scratch, preCheckPlaybooks(logDir)),
    REMEDIATION_LOG_DIRS: logDir,
    NOTIFY_WEBHOOK_URL: hook.url,
    ...moto.env,
  },
});
const { alert, incident, events } = await incidentApi(f);
/** Unique per run: workflow ids are namespace-wide, and a test server outlives one file. */
const fp = (name: string) => `${f.prefix}-${name}`;
type PreCheckEntry = { kind: string; passed: boolean; detail: string };
const ranNothing = (i: IncidentView) =>
  !kinds(i).some((k) => k === 'step' || k === 'remediation-started' || k === 'verification');

// Deployments stand-in: the real lock workflow and a workflow holding a key through withLock.
const deployQueue = `${uniquePrefix('deploy')}-orchestration`;
await startTestWorker(f.services, {
  workflows: false,
  workflowBundle: await fixtureBundle(),
  taskQueue: deployQueue,
  activities: { ...createFixtureActivities([]), ...createLockActivities({ temporal: f.client }) },
});

/** Starts a "deployment" that holds `key` until released; resolves once the lock workflow names it. */
async function holdLock(key: string) {
  const handle = await f.client.workflow.start(lockFixture, {
    taskQueue: deployQueue,
    workflowId: `deploy-${f.prefix}-${key}`,
    args: [{ key, name: 'deploy' }],
  });
  await until(
    () =>
      f.client.workflow
        .getHandle(lockWorkflowId(key))
        .query(lockStateQuery)
        .catch(() => undefined),
    (state) => state?.holder?.workflowId === handle.workflowId,
  );
  return {
    workflowId: handle.workflowId,
    release: async () => {
      await handle.signal(goSignal);
      await handle.result();
    },
  };
}

describe('remediation pre-checks and approval through the webhook', () => {
  it('no-active-deployment: escalates naming the deployment that holds the target, runs nothing; remediates once it is gone', async () => {
    const target = `orders-${f.prefix}`;
    const labels = { alertname: 'DeployLocked', instance: target, environment: 'dev' };
    const deploy = await holdLock(target);
    assert.equal(await alert(fp('locked'), labels), 202);
    const refused = await incident(fp('locked'), settled);
    assert.equal(refused.status, 'escalated');
    assert.equal(escalation(refused)?.stage, 'pre-check');
    assert.equal(
      escalation(refused)?.reason,
      `no-active-deployment: deployment ${deploy.workflowId} holds the lock on ${target}`,
    );
    assert.ok(ranNothing(refused), kinds(refused).join(', '));

    await deploy.release();
    assert.equal(await alert(fp('unlocked'), labels), 202);
    const healed = await incident(fp('unlocked'), settled);
    assert.equal(healed.status, 'resolved', JSON.stringify(escalation(healed)));
    assert.ok(kinds(healed).includes('step'));
  });

  it("no-active-deployment: an alert naming its stack is refused while the provision saga's stack:environment lock is held", async () => {
    const stack = `web-${f.prefix}`;
    const deploy = await holdLock(`${stack}:staging`);
    const labels = {
      alertname: 'DeployLocked',
      instance: `web-1-${f.prefix}`,
      stack,
      environment: 'staging',
    };
    assert.equal(await alert(fp('stack-locked'), labels), 202);
    const refused = await incident(fp('stack-locked'), settled);
    assert.equal(
      escalation(refused)?.reason,
      `no-active-deployment: deployment ${deploy.workflowId} holds the lock on ${stack}:staging`,
    );
    assert.ok(ranNothing(refused), kinds(refused).join(', '));
    await deploy.release();
  });

  it('blast-radius: refuses a target with more dependents than allowed, naming them; passes at the limit', async () => {
    await createPostgresTopologyStore(f.db).register({
      deploymentId: 'shop-1',
      stack: 'shop',
      environment: 'dev',
      nodes: [
        { address: 'aws_db_instance.orders', type: 'aws_db_instance', providerId: 'orders-db' },
        { address: 'aws_elasticache_cluster.cache', type: 'aws_elasticache_cluster' },
        { address: 'aws_instance.api', type: 'aws_instance' },
        { address: 'aws_instance.worker', type: 'aws_instance' },
        { address: 'aws_lb.front', type: 'aws_lb' },
      ],
      edges: [
        { from: 'aws_instance.api', to: 'aws_db_instance.orders' },
        { from: 'aws_instance.api', to: 'aws_elasticache_cluster.cache' },
        { from: 'aws_instance.worker', to: 'aws_db_instance.orders' },
        { from: 'aws_lb.front', to: 'aws_instance.api' },
      ],
    });
    // By provider id: api and worker directly, the load balancer through api.
    assert.equal(
      await alert(fp('wide'), { alertname: 'BlastRadius', instance: 'orders-db', environment: 'dev' }),
      202,
    );
    const refused = await incident(fp('wide'), settled);
    assert.equal(escalation(refused)?.stage, 'pre-check');
    assert.equal(
      escalation(refused)?.reason,
      'blast-radius: 3 resource(s) depend on orders-db, limit 2: shop:dev/aws_instance.api, shop:dev/aws_instance.worker, shop:dev/aws_lb.front',
    );
    assert.ok(ranNothing(refused), kinds(refused).join(', '));

    // By address: exactly at the limit.
    const cache = { alertname: 'BlastRadius', instance: 'aws_elasticache_cluster.cache', environment: 'dev' };
    assert.equal(await alert(fp('narrow'), cache), 202);
    const passed = await incident(fp('narrow'), settled);
    assert.equal(passed.status, 'resolved', JSON.stringify(escalation(passed)));
    assert.deepEqual(passed.timeline.find((e) => e.kind === 'pre-checks')?.detail.checks, [
      {
        kind: 'blast-radius',
        passed: true,
        detail:
          '2 resource(s) depend on aws_elasticache_cluster.cache, limit 2: shop:dev/aws_instance.api, shop:dev/aws_lb.front',
      },
    ]);
  });

  it('dependencies-healthy: escalates naming the dependency that is down, runs nothing; remediates once it answers', async () => {
    const closed = `127.0.0.1:${await freePort()}`;
    const labels = { alertname: 'DependencyDown', instance: `svc-${f.prefix}`, environment: 'dev' };
    assert.equal(await alert(fp('dependency-down'), { ...labels, dependency: closed }), 202);
    const refused = await incident(fp('dependency-down'), settled);
    assert.equal(refused.status, 'escalated');
    assert.equal(escalation(refused)?.stage, 'pre-check');
    assert.match(
      String(escalation(refused)?.reason),
      new RegExp(`^dependencies-healthy: 1 of 2 unhealthy: tcp .*${closed.replace(/\./g, '\\.')}`),
    );
    assert.ok(ranNothing(refused), kinds(refused).join(', '));

    const database = new URL(f.services.databaseUrl);
    const up = `${database.hostname}:${database.port}`;
    assert.equal(await alert(fp('dependency-up'), { ...labels, dependency: up }), 202);
    const healed = await incident(fp('dependency-up'), settled);
    assert.equal(healed.status, 'resolved', JSON.stringify(escalation(healed)));
    const checks = healed.timeline.find((e) => e.kind === 'pre-checks')?.detail.checks as PreCheckEntry[];
    assert.equal(checks[0]?.passed, true);
    assert.match(checks[0]?.detail ?? '', new RegExp(`^tcp ${up.replace(/\./g, '\\.')}.*; sql `));
  });

  it('rate-limit: of two incidents on one target at the same time with max 1, exactly one remediates', async () => {
    const target = `cache-${f.prefix}`;
    const labels = { alertname: 'RateLimited', instance: target, environment: 'dev' };
    const codes = await Promise.all([alert(fp('rate-a'), labels), alert(fp('rate-b'), labels)]);
    assert.deepEqual(codes, [202, 202]);
    const both = await Promise.all([incident(fp('rate-a'), settled), incident(fp('rate-b'), settled)]);
    assert.deepEqual(both.map((i) => i.status).sort(), ['escalated', 'resolved']);
    const limited = both.find((i) => i.status === 'escalated')!;
    assert.equal(
      escalation(limited)?.reason,
      `rate-limit: 1 remediation(s) of ${target} in the last 1h, limit 1`,
    );
    assert.ok(ranNothing(limited), kinds(limited).join(', '));
  });

  it('reserveRemediationSlot: concurrent reservations take at most max slots; a retried one keeps its answer', async () => {
    const at = new Date().toISOString();
    const target = 'db/slots';
    const ids = Array.from({ length: 6 }, (_, i) => `slot-incident-${i}`);
    for (const id of ids) {
      const opened = { id, fingerprint: id, source: 'test', alertName: 'RateLimited', target, firstSeen: at };
      await openIncident(f.db, { ...opened, severity: 'P3' }, {}, `open-${id}`);
    }
    const reserve = (id: string, when = at) =>
      reserveRemediationSlot(
        f.db,
        { incidentId: id, target, playbook: 'rate-limited@v1', max: 2, windowMs: 3_600_000, at: when },
        `slot-${id}-${when}`,
      );
    const decisions = await Promise.all(ids.map((id) => reserve(id)));
    const granted = ids.filter((_, i) => decisions[i]!.granted);
    const refused = ids.filter((id) => !granted.includes(id));
    assert.equal(granted.length, 2, JSON.stringify(decisions));
    const attempts = async () =>
      (await f.db.query('SELECT 1 FROM remediation_attempts WHERE target = $1', [target])).rowCount;
    assert.equal(await attempts(), 2);

    // Activity retries: the same dedupe key gets the same answer, and nothing is counted twice.
    const slot = `slot-${granted[0]!}-${at}`;
    assert.deepEqual(await reserve(granted[0]!), { granted: true, recent: 1, slot });
    assert.deepEqual(await reserve(refused[0]!), { granted: false, recent: 2 });
    assert.equal(await attempts(), 2);
    // A slot given back (its remediation did not run) is free for the next incident; twice is once.
    await releaseRemediationSlot(f.db, slot);
    await releaseRemediationSlot(f.db, slot);
    assert.equal(await attempts(), 1);
    assert.deepEqual(await reserve(refused[0]!), {
      granted: true,
      recent: 1,
      slot: `slot-${refused[0]!}-${at}`,
    });
    // After the window, the target may be remediated again.
    const later = new Date(Date.parse(at) + 3_600_001).toISOString();
    assert.deepEqual(await reserve(refused[1]!, later), {
      granted: true,
      recent: 0,
      slot: `slot-${refused[1]!}-${later}`,
    });
  });

  it('approval: with no decision within escalation.after the incident escalates, on-call gets a Slack message', async () => {
    const labels = { alertname: 'ApprovalExpires', instance: `svc-${f.prefix}`, environment: 'dev' };
    assert.equal(await alert(fp('expires'), labels), 202);
    const expired = await incident(fp('expires'), settled);
    assert.equal(expired.status, 'escalated');
    assert.equal(escalation(expired)?.stage, 'approval');
    assert.equal(escalation(expired)?.reason, 'approval expired');
    assert.ok(ranNothing(expired), kinds(expired).join(', '));
    const at = (kind: string) => Date.parse(expired.timeline.find((e) => e.kind === kind)!.at);
    assert.ok(at('escalated') - at('approval-requested') >= 3000, 'waited escalation.after (3s)');

    const text = `[P3] ApprovalExpires on svc-${f.prefix}: playbook approval-expires stopped at approval (approval expired); the team please take incident ${expired.id}.`;
    assert.deepEqual(
      hook.received.find((m) => (m as { text?: string }).text === text),
      { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text } }] },
      JSON.stringify(hook.received),
    );
  });

  it('approval: a rejection through POST /v1/runs/{id}/approvals escalates, runs nothing and gives back the rate-limit slot', async () => {
    const labels = { alertname: 'ApprovalRejected', instance: `svc-${f.prefix}`, environment: 'dev' };
    assert.equal(await alert(fp('rejected'), labels), 202);
    await incident(fp('rejected'), (i) => i.status === 'awaiting-approval');
    const id = `incident-${fp('rejected')}`;
    const approver = await f.token('aaron', ['approver']);
    const run = await f.app.inject({ url: `/v1/runs/${id}`, headers: bearer(approver) });
    const decided = await f.app.inject({
      method: 'POST',
      url: `/v1/runs/${id}/approvals`,
      headers: { ...bearer(approver), 'content-type': 'application/json' },
      payload: {
        decision: 'reject',
        changeHash: run.json<{ approval: { changeHash: string } }>().approval.changeHash,
        reason: 'not during the sale',
      },
    });
    assert.equal(decided.statusCode, 200, decided.body);
    assert.equal(decided.json<{ decision: string }>().decision, 'rejected');

    const rejected = await incident(fp('rejected'), settled);
    assert.equal(rejected.status, 'escalated');
    assert.equal(escalation(rejected)?.stage, 'approval');
    assert.equal(escalation(rejected)?.reason, 'approval rejected: not during the sale');
    assert.ok(ranNothing(rejected), kinds(rejected).join(', '));
    const checks = rejected.timeline.find((e) => e.kind === 'pre-checks')?.detail.checks;
    assert.deepEqual(checks, [
      {
        kind: 'rate-limit',
        passed: true,
        detail: `0 remediation(s) of svc-${f.prefix} in the last 1h, limit 1`,
      },
    ]);
    const slots = await f.db.query('SELECT 1 FROM remediation_attempts WHERE incident_id = $1', [id]);
    assert.equal(slots.rowCount, 0, 'the slot taken before the approval was given back');
  });

  it('snapshot: a snapshot that cannot be taken escalates before any step; a working one runs first', async () => {
    const missing = `no-such-db-${f.prefix}`;
    const rds = (instance: string) => ({
      alertname: 'RdsUnavailable',
      instance,
      db_instance: instance,
      environment: 'dev',
    });
    assert.equal(await alert(fp('no-snapshot'), rds(missing)), 202);
    const refused = await incident(fp('no-snapshot'), settled);
    assert.equal(refused.status, 'escalated');
    assert.equal(escalation(refused)?.stage, 'snapshot');
    assert.match(
      String(escalation(refused)?.reason),
      /^snapshot failed: snapshotRdsInstance: instanceId: expected an existing RDS instance/,
    );
    assert.ok(!kinds(refused).includes('step'), kinds(refused).join(', '));
    assert.equal(refused.failureReport?.stage, 'snapshot');
    assert.deepEqual(refused.failureReport?.rollback, []);
    assert.deepEqual(await events(refused.id), [
      'IncidentDetected',
      'RemediationStarted',
      'RemediationFailed',
    ]);
    assert.equal((await moto.requests('RebootDBInstance')).length, 0, 'nothing was rebooted');

    const aws = awsResources(moto);
    const instanceId = await aws.createDatabase(false);
    assert.equal(await alert(fp('snapshot'), rds(instanceId)), 202);
    const healed = await incident(fp('snapshot'), settled);
    assert.equal(healed.status, 'resolved', JSON.stringify(escalation(healed)));
    const order = kinds(healed).filter((k) => k === 'snapshot' || k === 'step');
    assert.deepEqual(order, ['snapshot', 'step']);
    const snapshots = await aws.rds.send(
      new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instanceId, SnapshotType: 'manual' }),
    );
    assert.equal(snapshots.DBSnapshots?.length, 1);
  });
});
