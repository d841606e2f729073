import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { estimateCost } from '../../lib/cost/estimate.js';
import {
  latestPriceTable,
  PRICE_TABLES,
  priceTable,
  priceTableFromEnv,
} from '../../lib/cost/prices/index.js';
import { ConfigError } from '../../lib/errors.js';
import type { TerraformPlanJson } from '../../lib/policy/types.js';
import { change, plan } from './plan-builder.js';

const table = priceTable('2025-06-01')!;
const t3 = (size = 't3.medium') => ({ instance_type: size, ami: 'ami-123' });

interface Case {
  name: string;
  plan: TerraformPlanJson;
  /** Expected monthly delta of the whole plan. */
  total: number;
  /** Expected per-resource deltas (address → delta, status). */
  resources: Record<string, [number, string]>;
}

const cases: Case[] = [
  {
    name: 'three t3.medium instances: $0.0416/h × 3 × 730 = $91.10 (domain section 3)',
    plan: plan(...[0, 1, 2].map((i) => change(`aws_instance.web[${i}]`, ['create'], null, t3()))),
    total: 91.1,
    resources: {
      'aws_instance.web[0]': [30.37, 'priced'],
      'aws_instance.web[1]': [30.37, 'priced'],
      'aws_instance.web[2]': [30.37, 'priced'],
    },
  },
  {
    name: 'a 100 GB gp3 volume: $0.08/GB-month = $8',
    plan: plan(change('aws_ebs_volume.data', ['create'], null, { size: 100, type: 'gp3' })),
    total: 8,
    resources: { 'aws_ebs_volume.data': [8, 'priced'] },
  },
  {
    name: 'an ALB: $0.0225/h × 730 = $16.43 (+ LCU)',
    plan: plan(change('aws_lb.front', ['create'], null, { load_balancer_type: 'application' })),
    total: 16.43,
    resources: { 'aws_lb.front': [16.43, 'priced'] },
  },
  {
    name: 'a delete subtracts what the resource cost',
    plan: plan(change('aws_instance.old', ['delete'], t3(), null)),
    total: -30.37,
    resources: { 'aws_instance.old': [-30.37, 'priced'] },
  },
  {
    name: 'an in-place resize adds the difference: m5.xlarge $140.16 − t3.medium $30.37',
    plan: plan(change('aws_instance.app', ['update'], t3(), t3('m5.xlarge'))),
    total: 109.79,
    resources: { 'aws_instance.app': [109.79, 'priced'] },
  },
  {
    name: 'a replacement (either order of actions) adds the difference: 100 GB gp3 − 50 GB gp2',
    plan: plan(
      change('aws_ebs_volume.a', ['delete', 'create'], { size: 50, type: 'gp2' }, { size: 100, type: 'gp3' }),
      change('aws_ebs_volume.b', ['create', 'delete'], { size: 50, type: 'gp2' }, { size: 100, type: 'gp3' }),
    ),
    total: 6,
    resources: { 'aws_ebs_volume.a': [3, 'priced'], 'aws_ebs_volume.b': [3, 'priced'] },
  },
  {
    name: 'a Multi-AZ database doubles instance and storage: (0.072 × 730 + 100 × 0.115) × 2',
    plan: plan(
      change('aws_db_instance.orders', ['create'], null, {
        instance_class: 'db.t3.medium',
        allocated_storage: 100,
        multi_az: true,
      }),
    ),
    total: 128.12,
    resources: { 'aws_db_instance.orders': [128.12, 'priced'] },
  },
  {
    name: 'local resources cost 0 explicitly; free and usage-based types are listed as such',
    plan: plan(
      change('dharma_random_string.name', ['create'], null, { length: 8 }),
      change('dharma_postgresql_role.owner', ['create'], null, { name: 'tenant_owner' }),
      change('dharma_postgresql_database.tenant', ['create'], null, { name: 'tenant' }),
      change('dharma_postgresql_grant.connect', ['create'], null, { privileges: ['CONNECT'] }),
      change('dharma_file.out', ['create'], null, {}),
      change('terraform_data.hook', ['create'], null, {}),
      change('time_sleep.wait', ['create'], null, {}),
      change('aws_vpc.main', ['create'], null, { cidr_block: '10.0.0.0/16' }),
      change('aws_s3_bucket.logs', ['create'], null, { bucket: 'logs' }),
    ),
    total: 0,
    resources: {
      'dharma_random_string.name': [0, 'local'],
      'dharma_postgresql_role.owner': [0, 'local'],
      'dharma_postgresql_database.tenant': [0, 'local'],
      'dharma_postgresql_grant.connect': [0, 'local'],
      'dharma_file.out': [0, 'local'],
      'terraform_data.hook': [0, 'local'],
      'time_sleep.wait': [0, 'local'],
      'aws_vpc.main': [0, 'free'],
      'aws_s3_bucket.logs': [0, 'usage-based'],
    },
  },
  {
    name: 'no-op changes and data sources are not part of the delta',
    plan: {
      resource_changes: [
        change('aws_instance.same', ['no-op'], t3(), t3()),
        { ...change('data.aws_ami.ubuntu', ['read'], null, {}), mode: 'data', type: 'aws_ami' },
      ],
    },
    total: 0,
    resources: {},
  },
];

describe('estimateCost', () => {
  for (const c of cases) {
    it(c.name, () => {
      const estimate = estimateCost(c.plan, table);
      assert.equal(estimate.monthlyDelta, c.total);
      const got = Object.fromEntries(estimate.resources.map((r) => [r.address, [r.monthlyDelta, r.status]]));
      assert.deepEqual(got, c.resources);
      assert.deepEqual(estimate.unpriced, []);
    });
  }

  it('records the price table version, source and date it used', () => {
    const estimate = estimateCost(plan(), table);
    assert.equal(estimate.priceTable.version, '2025-06-01');
    assert.equal(estimate.priceTable.retrievedOn, '2025-06-01');
    assert.match(estimate.priceTable.source, /AWS/);
    assert.equal(estimate.currency, 'USD');
  });

  it('lists unknown types and values unknown until apply as unpriced, outside the total', () => {
    const estimate = estimateCost(
      plan(
        change('aws_instance.web', ['create'], null, t3()),
        change('aws_mq_broker.queue', ['create'], null, { host_instance_type: 'mq.m5.large' }),
        change('aws_instance.later', ['create'], null, {}, { instance_type: true }),
        change('aws_instance.exotic', ['create'], null, t3('u-24tb1.metal')),
      ),
      table,
    );
    assert.equal(estimate.monthlyDelta, 30.37);
    assert.deepEqual(
      estimate.unpriced.map((u) => [u.address, u.reason]),
      [
        ['aws_mq_broker.queue', 'no price for resource type aws_mq_broker in price table 2025-06-01'],
        ['aws_instance.later', 'instance_type is not known until apply'],
        ['aws_instance.exotic', 'no price for instance_type "u-24tb1.metal" in price table 2025-06-01'],
      ],
    );
    const mq = estimate.resources.find((r) => r.address === 'aws_mq_broker.queue');
    assert.equal(mq?.status, 'unpriced');
  });

  it('suggests reserved capacity above $100/month, saving about 30% of the compute part', () => {
    const estimate = estimateCost(
      plan(
        change('aws_instance.big', ['create'], null, t3('m5.xlarge')),
        change('aws_instance.small', ['create'], null, t3()),
        change('aws_ebs_volume.huge', ['create'], null, { size: 2000, type: 'gp3' }),
        change('aws_db_instance.orders', ['create'], null, {
          instance_class: 'db.t3.medium',
          allocated_storage: 100,
          multi_az: true,
        }),
      ),
      table,
    );
    assert.deepEqual(
      estimate.suggestions.map((s) => [s.address, s.monthly, s.estimatedMonthlySaving]),
      [
        ['aws_instance.big', 140.16, 42.05],
        // Only the instance part (105.12) can be reserved, not the storage.
        ['aws_db_instance.orders', 128.12, 31.54],
      ],
    );
    assert.match(
      estimate.suggestions[0]!.message,
      /reserved capacity would save about 30% \(USD 42\.05\/month\)/,
    );
  });

  it('finds no price in inherited object properties', () => {
    const estimate = estimateCost(
      plan(
        change('constructor.x', ['create'], null, {}),
        change('aws_instance.y', ['create'], null, { instance_type: 'toString' }),
      ),
      table,
    );
    assert.deepEqual(
      estimate.unpriced.map((u) => u.address),
      ['constructor.x', 'aws_instance.y'],
    );
  });

  it('keeps what the estimate leaves out with the resource (ALB LCU)', () => {
    const estimate = estimateCost(plan(change('aws_lb.front', ['create'], null, {})), table);
    assert.equal(estimate.resources[0]?.note, '+ LCU usage (not estimated)');
    assert.deepEqual(estimate.resources[0]?.components, [{ name: 'load balancer hours', monthly: 16.43 }]);
  });

  it('warns when priced resources deploy to another region than the table prices', () => {
    const web = plan(change('aws_instance.web', ['create'], null, t3()));
    assert.deepEqual(estimateCost(web, table, { region: 'us-east-1' }).warnings, []);
    assert.deepEqual(estimateCost(web, table, { region: 'eu-west-1' }).warnings, [
      'prices are for us-east-1; the plan deploys to eu-west-1',
    ]);
    const local = plan(change('terraform_data.marker', ['create'], null, { input: 'x' }));
    assert.deepEqual(
      estimateCost(local, table, { region: 'local' }).warnings,
      [],
      'local resources cost nothing anywhere',
    );
  });

  it('rejects input that is not a plan, naming the field', () => {
    assert.throws(
      () => estimateCost({ resource_changes: {} } as never, table),
      /plan\.resource_changes: expected an array/,
    );
    assert.throws(
      () => estimateCost({ resource_changes: [{ address: 'x' }] } as never, table),
      /plan\.resource_changes\[0\]: expected/,
    );
  });
});

describe('price tables', () => {
  it('are versioned by date with their source, and COST_PRICE_TABLE picks one (default: newest)', () => {
    for (const t of PRICE_TABLES) {
      assert.match(t.version, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(t.source.length > 20 && /^\d{4}-\d{2}-\d{2}$/.test(t.retrievedOn));
    }
    assert.equal(priceTableFromEnv({}), latestPriceTable());
    assert.equal(priceTableFromEnv({ COST_PRICE_TABLE: '2025-06-01' }).version, '2025-06-01');
    assert.throws(() => priceTableFromEnv({ COST_PRICE_TABLE: '1999-01-01' }), ConfigError);
  });

  it('hold only positive rates', () => {
    for (const t of PRICE_TABLES) {
      for (const [type, price] of Object.entries(t.resources)) {
        for (const c of price.components) {
          const rates = c.rateBy ? Object.values(c.rateBy.rates) : [c.rate];
          assert.ok(
            rates.length > 0 && rates.every((r) => typeof r === 'number' && r > 0),
            `${t.version} ${type}`,
          );
          if (c.rateBy?.default !== undefined)
            assert.ok(c.rateBy.default in c.rateBy.rates, `${type} default`);
        }
      }
    }
  });
});
