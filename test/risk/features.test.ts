import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';
import {
  extractRiskFeatures,
  FEATURE_NAMES,
  namedFeatures,
  summarizePlanChanges,
} from '../../lib/risk/features.js';
import { resourceKind } from '../../lib/risk/kinds.js';
import { change, plan } from '../cost/plan-builder.js';

const history = { recentFailureRate: 0.2, deploymentsLast7Days: 4 };
// A Saturday, 23:30 UTC.
const saturdayNight = new Date('2026-11-21T23:30:00Z');

const sample = plan(
  change('aws_db_instance.orders', ['delete', 'create'], {}, {}),
  change('aws_security_group.web', ['update'], {}, {}),
  change('aws_instance.web[0]', ['create'], null, {}),
  change('aws_instance.web[1]', ['create'], null, {}),
  change('aws_iam_role.app', ['delete'], {}, null),
  change('aws_s3_bucket.logs', ['create', 'delete'], {}, {}),
  change('dharma_random_string.name', ['create'], null, {}),
  change('aws_vpc.main', ['no-op'], {}, {}),
  { ...change('data.aws_ami.ubuntu', ['read'], null, {}), mode: 'data', type: 'aws_ami' },
);

describe('risk features', () => {
  it('follow the order the model was trained with (data.py, model-meta.json, fixtures.json)', () => {
    const dir = path.join(packageRoot(), 'models', 'change-risk');
    const meta = JSON.parse(readFileSync(path.join(dir, 'model-meta.json'), 'utf8')) as {
      features: string[];
    };
    const fixtures = JSON.parse(readFileSync(path.join(dir, 'fixtures.json'), 'utf8')) as {
      features: string[];
    };
    assert.deepEqual(meta.features, [...FEATURE_NAMES]);
    assert.deepEqual(fixtures.features, [...FEATURE_NAMES]);
    const python = readFileSync(path.join(dir, 'data.py'), 'utf8');
    const listed = /FEATURES = \[([^\]]*)\]/.exec(python)?.[1]?.match(/"([a-z_0-9]+)"/g);
    assert.deepEqual(
      listed?.map((s) => s.slice(1, -1)),
      [...FEATURE_NAMES],
    );
  });

  it('count a plan by action and kind family, ignoring no-ops and data sources', () => {
    assert.deepEqual(summarizePlanChanges(sample), {
      creates: 3,
      updates: 1,
      deletes: 1,
      replaces: 2,
      kinds: { database: 1, network: 1, compute: 2, storage: 1, iam: 1, other: 1 },
    });
  });

  it('encode environment, UTC hour, weekend and the stack history', () => {
    const features = namedFeatures(
      extractRiskFeatures(sample, { environment: 'production', at: saturdayNight, history }),
    );
    assert.deepEqual(
      { ...features, recent_failure_rate: Math.round(features.recent_failure_rate * 1e6) / 1e6 },
      {
        creates: 3,
        updates: 1,
        deletes: 1,
        replaces: 2,
        kind_database: 1,
        kind_network: 1,
        kind_compute: 2,
        kind_storage: 1,
        kind_iam: 1,
        kind_other: 1,
        env_dev: 0,
        env_staging: 0,
        env_production: 1,
        hour_utc: 23,
        weekend: 1,
        recent_failure_rate: 0.2,
        deployments_7d: 4,
      },
    );
    const monday = extractRiskFeatures(sample, {
      environment: 'dev',
      at: new Date('2026-11-23T09:00:00Z'),
      history,
    });
    assert.deepEqual([monday[10], monday[11], monday[12], monday[13], monday[14]], [1, 0, 0, 9, 0]);
  });

  it('accept a summary instead of the plan, with the same result', () => {
    const context = { environment: 'staging', at: saturdayNight, history };
    assert.deepEqual(
      extractRiskFeatures(summarizePlanChanges(sample), context),
      extractRiskFeatures(sample, context),
    );
  });

  it('score environments the model does not know as staging', () => {
    const f = extractRiskFeatures(plan(), { environment: 'qa', at: saturdayNight, history });
    assert.deepEqual([f[10], f[11], f[12]], [0, 1, 0]);
  });

  it('reject bad context naming the field', () => {
    assert.throws(
      () => extractRiskFeatures(plan(), { environment: 'dev', at: new Date('nope'), history }),
      /at: expected a valid date/,
    );
    assert.throws(
      () =>
        extractRiskFeatures(plan(), {
          environment: 'dev',
          at: saturdayNight,
          history: { recentFailureRate: 1.5, deploymentsLast7Days: 0 },
        }),
      /history\.recentFailureRate: expected a number in 0\.\.1/,
    );
    assert.throws(
      () =>
        extractRiskFeatures(
          {
            creates: -1,
            updates: 0,
            deletes: 0,
            replaces: 0,
            kinds: { database: 0, network: 0, compute: 0, storage: 0, iam: 0, other: 0 },
          },
          { environment: 'dev', at: saturdayNight, history },
        ),
      /creates: expected a non-negative integer/,
    );
  });
});

describe('resource kinds', () => {
  const table: [string, string][] = [
    ['aws_db_instance', 'database'],
    ['aws_rds_cluster', 'database'],
    ['aws_dynamodb_table', 'database'],
    ['dharma_postgresql_database', 'database'],
    ['dharma_postgresql_role', 'iam'],
    ['dharma_postgresql_grant', 'iam'],
    ['aws_iam_role_policy_attachment', 'iam'],
    ['aws_kms_key', 'iam'],
    ['aws_s3_bucket_policy', 'iam'],
    ['aws_vpc', 'network'],
    ['aws_security_group_rule', 'network'],
    ['aws_lb_listener', 'network'],
    ['aws_route53_record', 'network'],
    ['aws_instance', 'compute'],
    ['aws_lambda_function', 'compute'],
    ['aws_s3_bucket', 'storage'],
    ['aws_ebs_volume', 'storage'],
    ['dharma_file', 'storage'],
    ['dharma_random_string', 'other'],
    ['terraform_data', 'other'],
    ['time_sleep', 'other'],
  ];
  for (const [type, kind] of table) {
    it(`${type} is ${kind}`, () => assert.equal(resourceKind(type), kind));
  }
});
