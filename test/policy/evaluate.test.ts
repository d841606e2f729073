import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadPolicyEvaluator, type PolicyEvaluator } from '../../lib/policy/evaluate.js';
import { evaluateWithOpa } from '../../lib/policy/opa-eval.js';
import type { PlanPolicyInput, PolicyResult, TerraformPlanJson } from '../../lib/policy/types.js';
import { requireOpa } from '../../lib/tofu-tools.js';
import { POLICIES_DIR, buildPolicies } from '../../scripts/build-policies.js';

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'plans');

async function fixture(name: string, environment: string): Promise<PlanPolicyInput> {
  const plan = JSON.parse(await readFile(path.join(FIXTURES, `${name}.json`), 'utf8')) as TerraformPlanJson;
  return { environment, plan };
}

/** [rule, address, message] triples: compact to read in assertions, exact in what they check. */
function triples(result: PolicyResult): { denies: string[][]; warnings: string[][] } {
  return {
    denies: result.denies.map((v) => [v.rule, v.address, v.message]),
    warnings: result.warnings.map((v) => [v.rule, v.address, v.message]),
  };
}

const missingTags = (address: string) => [
  'required_tags',
  address,
  `Resource '${address}' is missing required tags: Environment, Owner, Cost Center`,
];

const cases: { fixture: string; environment: string; expected: ReturnType<typeof triples> }[] = [
  {
    fixture: 'aws-violations',
    environment: 'staging',
    expected: {
      denies: [
        [
          'open_ingress',
          'aws_security_group.bastion',
          "Security group rule 'aws_security_group.bastion' must not allow ingress from 0.0.0.0/0 on port 22",
        ],
        [
          'open_ingress',
          'aws_security_group_rule.rdp',
          "Security group rule 'aws_security_group_rule.rdp' must not allow ingress from 0.0.0.0/0 on port 3389",
        ],
        [
          'open_ingress',
          'aws_vpc_security_group_ingress_rule.ssh_v6',
          "Security group rule 'aws_vpc_security_group_ingress_rule.ssh_v6' must not allow ingress from ::/0 on port 22",
        ],
        [
          'rds_public_access',
          'aws_db_instance.orders',
          "RDS instance 'aws_db_instance.orders' must not be publicly accessible",
        ],
        [
          's3_encryption',
          'aws_s3_bucket.logs',
          "S3 bucket 'aws_s3_bucket.logs' must have server-side encryption enabled",
        ],
        [
          's3_encryption',
          'aws_s3_bucket.uploads',
          "S3 bucket 'aws_s3_bucket.uploads' must have server-side encryption enabled",
        ],
      ],
      warnings: [
        missingTags('aws_instance.bastion'),
        missingTags('aws_rds_cluster.analytics'),
        missingTags('aws_s3_bucket.uploads'),
        missingTags('aws_vpc.main'),
      ],
    },
  },
  { fixture: 'aws-compliant', environment: 'staging', expected: { denies: [], warnings: [] } },
  {
    fixture: 'aws-compliant',
    environment: 'production',
    expected: {
      denies: [
        [
          'protected_destroy',
          'aws_s3_bucket.old',
          "Resource 'aws_s3_bucket.old' is tagged protected and must not be destroyed in production",
        ],
      ],
      warnings: [],
    },
  },
  {
    fixture: 'aws-protected-destroy',
    environment: 'production',
    expected: {
      denies: [
        [
          'protected_destroy',
          'aws_db_instance.ledger',
          "Resource 'aws_db_instance.ledger' is tagged protected and must not be destroyed in production",
        ],
        [
          'protected_destroy',
          'aws_vpc.core',
          "Resource 'aws_vpc.core' is tagged protected and must not be destroyed in production",
        ],
      ],
      warnings: [],
    },
  },
  { fixture: 'aws-protected-destroy', environment: 'staging', expected: { denies: [], warnings: [] } },
];

describe('Terraform plan guardrails', () => {
  let work: string;
  let evaluator: PolicyEvaluator;
  const opa = { opaBinary: requireOpa(), policiesDir: POLICIES_DIR };

  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'dharma-policy-'));
    const wasmPath = await buildPolicies({ wasmPath: path.join(work, 'policy.wasm'), log: () => undefined });
    evaluator = await loadPolicyEvaluator(wasmPath);
  });

  after(async () => {
    await rm(work, { recursive: true, force: true });
  });

  for (const { fixture: name, environment, expected } of cases) {
    it(`${name} in ${environment}: in-process WebAssembly and \`opa eval\` report exactly the expected violations`, async () => {
      const input = await fixture(name, environment);
      const inProcess = evaluator.evaluate(input);
      assert.deepEqual(triples(inProcess), expected);
      assert.deepEqual(await evaluateWithOpa(input, opa), inProcess);
    });
  }

  it('the fixtures together hit every deny and warn rule', async () => {
    const rules = new Set<string>();
    for (const { fixture: name, environment } of cases) {
      const result = evaluator.evaluate(await fixture(name, environment));
      for (const v of [...result.denies, ...result.warnings]) rules.add(v.rule);
    }
    assert.deepEqual([...rules].sort(), [
      'open_ingress',
      'protected_destroy',
      'rds_public_access',
      'required_tags',
      's3_encryption',
    ]);
  });

  it('evaluates a plan with no resource changes to no violations', async () => {
    const input: PlanPolicyInput = { environment: 'production', plan: { format_version: '1.2' } };
    assert.deepEqual(evaluator.evaluate(input), { denies: [], warnings: [] });
    assert.deepEqual(await evaluateWithOpa(input, opa), { denies: [], warnings: [] });
  });

  it('reports a missing policy bundle with the setup step to run', async () => {
    await assert.rejects(loadPolicyEvaluator(path.join(work, 'absent.wasm')), /run `npm run setup`/);
  });
});
