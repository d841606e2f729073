import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormalizedAlert } from '../../lib/alerts/alert.js';
import { cachedAlertClassifier, defaultAlertClassifierPath } from '../../lib/alerts-ml/classifier.js';
import { loadPlaybooks, playbooksDir } from '../../lib/playbooks/load.js';
import { classifierFor, matchPlaybook, ruleMatches } from '../../lib/playbooks/match.js';
import type { Playbook } from '../../lib/playbooks/schema.js';
import { alert } from './alerts.js';

const shipped = await loadPlaybooks(playbooksDir({}));
const classify = classifierFor(await cachedAlertClassifier(defaultAlertClassifierPath()));
const options = { minConfidence: 0.6 };

describe('matching by rules (shipped playbooks)', () => {
  const cases: [string, NormalizedAlert, string, string[]][] = [
    [
      'a killed local process',
      alert('InstanceDown', { severity: 'critical', job: 'orders-api', instance: 'localhost:8080' }),
      'service-unavailable',
      ['service-unavailable'],
    ],
    [
      'an unavailable RDS instance: more label matchers win',
      alert('ServiceUnavailable', {
        severity: 'page',
        job: 'orders-db',
        provider: 'aws',
        db_instance: 'orders-db-1',
      }),
      'service-unavailable-aws-rds',
      ['service-unavailable-aws-rds', 'service-unavailable'],
    ],
    [
      'CPU on an Auto Scaling group that also names a local pool',
      alert('HighCPU', { severity: 'high', pool: 'web', provider: 'aws', asg: 'web-asg' }),
      'cpu-high-aws-asg',
      ['cpu-high-aws-asg', 'cpu-high'],
    ],
    [
      'memory of an EC2 instance (the regex matcher holds)',
      alert('HighMemoryUsage', {
        severity: 'warning',
        job: 'ledger',
        provider: 'aws',
        instance_id: 'i-0abc123',
      }),
      'memory-high-aws-ec2',
      ['memory-high-aws-ec2', 'memory-high'],
    ],
    [
      'memory of a host whose instance id is not an EC2 id (the regex is anchored)',
      alert('HighMemoryUsage', { severity: 'warning', job: 'ledger', provider: 'aws', instance_id: 'vm-17' }),
      'memory-high',
      ['memory-high'],
    ],
    [
      'a full log partition',
      alert('DiskFull', { severity: 'warning', instance: 'node-7:9100', log_dir: '/var/log/orders' }),
      'disk-full',
      ['disk-full'],
    ],
    [
      'exhausted PostgreSQL connections',
      alert('PostgresTooManyConnections', { severity: 'critical', instance: 'localhost:5432' }),
      'postgres-connections',
      ['postgres-connections'],
    ],
    [
      'a latency alert on a worker pool',
      alert('HighLatency', { severity: 'high', pool: 'api' }),
      'latency-high',
      ['latency-high'],
    ],
    [
      'an error-rate alert on a stack',
      alert('HighErrorRate', { severity: 'critical', stack: 'orders-prod' }),
      'error-rate-high',
      ['error-rate-high'],
    ],
    [
      'an expiring certificate',
      alert('CertificateExpiringSoon', { severity: 'info', instance: 'api.example.com:443' }),
      'certificate-expiry',
      ['certificate-expiry'],
    ],
  ];
  for (const [what, incoming, id, candidates] of cases) {
    it(what, async () => {
      const choice = await matchPlaybook(shipped, incoming, classify, options);
      assert.equal(choice.kind, 'rule');
      assert.equal(choice.kind === 'rule' && choice.playbook.id, id);
      assert.deepEqual(choice.kind === 'rule' && choice.candidates, candidates);
    });
  }

  it('escalates without a classifier when no rule holds (severity outside the rule)', async () => {
    const choice = await matchPlaybook(
      shipped,
      alert('InstanceDown', { severity: 'warning', job: 'orders-api' }),
      undefined,
      options,
    );
    assert.deepEqual(choice, {
      kind: 'escalate',
      reason: 'no playbook rule matches InstanceDown (P3) on unknown',
    });
  });
});

describe('specificity and label matchers (synthetic playbooks)', () => {
  const playbook = (id: string, match: Playbook['match']): Playbook => ({
    id,
    version: 1,
    description: id,
    match,
    risk: 'low',
    approval: { environments: ['production'], whenRisk: ['high'] },
    preChecks: [],
    steps: [],
    verification: { window: '1m', probes: [{ kind: 'alert-resolved' }] },
    rollback: [],
    onResolved: 'stop',
    escalation: { notify: 'team' },
    file: `${id}.yaml`,
  });
  const set = [
    playbook('by-name', { alertNames: ['DiskFull'] }),
    playbook('by-name-p1', { alertNames: ['DiskFull'], severities: ['P1'] }),
    playbook('by-name-p1-p2', { alertNames: ['DiskFull'], severities: ['P1', 'P2'] }),
    playbook('not-prod', { alertNames: ['DiskFull'], labels: { env: '!"prod"' } }),
    playbook('not-staging-regex', { alertNames: ['DiskFull'], labels: { env: '!~"stag.*"' } }),
    playbook('zz-tie', { alertNames: ['DiskFull'], labels: { team: 'data' } }),
    playbook('aa-tie', { alertNames: ['DiskFull'], labels: { env: 'prod' } }),
    playbook('classifier-only', { classifierCause: 'DISK_FULL' }),
  ];
  const ids = (incoming: NormalizedAlert) => ruleMatches(set, incoming).map((p) => p.id);

  const cases: [string, NormalizedAlert, string[]][] = [
    [
      'a severity restriction beats none, and a narrower one beats a wider one',
      alert('DiskFull', { severity: 'critical', env: 'staging' }),
      ['not-prod', 'by-name-p1', 'by-name-p1-p2', 'by-name'],
    ],
    [
      'a missing label is empty: not-equals and negative regex hold',
      alert('DiskFull', { severity: 'warning' }),
      ['not-prod', 'not-staging-regex', 'by-name'],
    ],
    [
      'equal specificity falls back to the id, whatever the file order',
      alert('DiskFull', { severity: 'warning', env: 'prod', team: 'data' }),
      ['aa-tie', 'not-staging-regex', 'zz-tie', 'by-name'],
    ],
    ['a classifier-only playbook never matches by rule', alert('Other', { severity: 'warning' }), []],
  ];
  for (const [what, incoming, expected] of cases) {
    it(what, () => {
      assert.deepEqual(ids(incoming), expected);
      assert.deepEqual(
        ids(incoming),
        ruleMatches([...set].reverse(), incoming).map((p) => p.id),
      );
    });
  }
});

describe('classifier fallback (the real ONNX classifier)', () => {
  const cases: [string, NormalizedAlert, string][] = [
    [
      'a growing process memory without a job label',
      alert(
        'ProcessResidentMemoryGrowing',
        { severity: 'warning', instance: 'localhost:9100' },
        {
          summary: 'resident memory of checkout keeps increasing steadily, possible leak',
        },
      ),
      'memory-high',
    ],
    [
      'a filesystem alert whose name no rule lists',
      alert(
        'NodeFilesystemAlmostFull',
        { severity: 'warning', instance: 'node-7:9100' },
        {
          summary: 'filesystem /var/log on node-7 is 93% full and will fill up within 2h',
        },
      ),
      'disk-full',
    ],
    [
      'connection slots running out, under another name',
      alert(
        'pg_stat_activity_count_high',
        { severity: 'critical', instance: 'orders-db:5432' },
        {
          summary: 'remaining connection slots are reserved for superuser on orders-db',
        },
      ),
      'postgres-connections',
    ],
    [
      'an error rate without a stack label (so no rule holds)',
      alert(
        'HighErrorRate',
        { severity: 'critical', service: 'checkout' },
        {
          summary: 'checkout 5xx rate rose to 12% right after deploy v4.2.0',
        },
      ),
      'error-rate-high',
    ],
  ];
  for (const [what, incoming, id] of cases) {
    it(`picks the playbook of the proposed cause for ${what}`, async () => {
      const choice = await matchPlaybook(shipped, incoming, classify, options);
      assert.equal(choice.kind, 'classifier');
      assert.equal(choice.kind === 'classifier' && choice.playbook.id, id);
      assert.equal(
        choice.kind === 'classifier' && choice.playbook.match.classifierCause,
        choice.classification.cause,
      );
      assert.ok(choice.kind === 'classifier' && choice.classification.confidence >= options.minConfidence);
    });
  }

  it('escalates when the confidence is below the threshold, and only then', async () => {
    const load = alert(
      'HostHighLoad',
      { severity: 'high', instance: 'batch-01:9100' },
      {
        summary: 'load average on batch-01 is high',
      },
    );
    const { confidence } = await classify(load);
    const picked = await matchPlaybook(shipped, load, classify, { minConfidence: confidence });
    assert.equal(picked.kind === 'classifier' && picked.playbook.id, 'cpu-high');
    const refused = await matchPlaybook(shipped, load, classify, { minConfidence: confidence + 0.01 });
    assert.equal(refused.kind, 'escalate');
    assert.match(
      refused.kind === 'escalate' ? refused.reason : '',
      /CPU_SATURATION \(confidence 0\.\d\d\) is below/,
    );
  });

  it('escalates a vague alert the classifier is unsure about', async () => {
    const vague = alert(
      'SomethingOdd',
      { severity: 'warning', instance: 'batch-01:9100' },
      {
        summary: 'memory and disk on batch-01 look strange',
      },
    );
    const choice = await matchPlaybook(shipped, vague, classify, options);
    assert.equal(choice.kind, 'escalate');
    assert.ok(choice.kind === 'escalate' && choice.classification!.confidence < 0.6);
  });

  it('escalates when the classifier says UNKNOWN, however sure', async () => {
    const watchdog = alert(
      'Watchdog',
      { severity: 'info' },
      {
        summary: 'This alert is always firing to check the alerting pipeline',
      },
    );
    const choice = await matchPlaybook(shipped, watchdog, classify, options);
    assert.equal(choice.kind, 'escalate');
    assert.equal(choice.kind === 'escalate' && choice.classification?.cause, 'UNKNOWN');
  });

  it('escalates when no playbook handles the proposed cause', async () => {
    const withoutCert = shipped.filter((p) => p.match.classifierCause !== 'CERT_EXPIRY');
    const cert = alert(
      'X509CertificateExpiry',
      { severity: 'info', instance: 'api.example.com:443' },
      {
        summary: 'certificate for api.example.com expires in 12 days',
      },
    );
    const choice = await matchPlaybook(withoutCert, cert, classify, options);
    assert.equal(choice.kind, 'escalate');
    assert.match(
      choice.kind === 'escalate' ? choice.reason : '',
      /CERT_EXPIRY .* but no playbook handles it/,
    );
  });
});
