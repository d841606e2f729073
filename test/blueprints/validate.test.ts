import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { completeBlueprint } from '../../lib/blueprints/document.js';
import { BlueprintInvalid, BlueprintSyntaxError } from '../../lib/blueprints/errors.js';
import { formatBlueprint, parseBlueprintText, readBlueprintFile } from '../../lib/blueprints/format.js';
import { bumpMinor, compareSemVer } from '../../lib/blueprints/semver.js';
import { blueprintProblems, validateBlueprintInput } from '../../lib/blueprints/validate.js';
import { MissingOutput, resolveHealthCheck } from '../../lib/blueprints/health-checks.js';
import { packageRoot } from '../../lib/package-root.js';

function valid(): Record<string, unknown> {
  return {
    name: 'tenant-db',
    provider: 'local',
    region: 'local',
    variables: { tenant: { type: 'string', default: 'acme' } },
    resources: [
      {
        type: 'dharma_postgresql_role',
        name: 'owner',
        properties: { name: '${var.tenant}_owner', login: true },
      },
      {
        type: 'dharma_postgresql_database',
        name: 'db',
        properties: { name: '${var.tenant}', owner: '${dharma_postgresql_role.owner.name}' },
        dependsOn: ['owner'],
      },
    ],
    outputs: { database: { value: '${dharma_postgresql_database.db.name}' } },
  };
}

type Doc = ReturnType<typeof valid> & { resources: Record<string, unknown>[] };
const change = (edit: (doc: Doc) => void) => {
  const doc = valid() as Doc;
  edit(doc);
  return doc;
};

/** Each bad document, and the problem it must report, as `path: message`. */
const BAD: [string, unknown, RegExp][] = [
  ['name too short', change((d) => (d.name = 'ab')), /^name: must not have fewer than 3 characters/],
  ['name with a space', change((d) => (d.name = 'tenant db')), /^name: must match pattern/],
  [
    'unknown provider',
    change((d) => (d.provider = 'oracle')),
    /^provider: must be one of aws, azure, gcp, local$/,
  ],
  ['no resources', change((d) => (d.resources = [])), /^resources: must not have fewer than 1 items/],
  ['missing region', change((d) => delete d.region), /^region: is required$/],
  ['bad version', change((d) => (d.version = '1.0')), /^version: must match pattern/],
  ['unknown field', change((d) => (d.colour = 'red')), /^colour: is not an allowed property$/],
  [
    'resource without type',
    change((d) => delete d.resources[1]!.type),
    /^resources\[1\]\.type: is required$/,
  ],
  [
    'dependsOn an unknown resource',
    change((d) => (d.resources[1]!.dependsOn = ['cache'])),
    /^resources\[1\]\.dependsOn\[0\]: unknown resource "cache"$/,
  ],
  [
    'duplicate resource names',
    change((d) => (d.resources[1]!.name = 'owner')),
    /^resources\[1\]\.name: duplicate resource name "owner" \(also resources\[0\]\)$/,
  ],
  [
    'a dependency cycle',
    change((d) => (d.resources[0]!.dependsOn = ['db'])),
    /^resources\[\d\]\.dependsOn\[0\]: dependency cycle (owner → db → owner|db → owner → db)$/,
  ],
  [
    'a type of an upstream provider the mirror does not carry',
    change((d) => (d.resources[0]!.type = 'postgresql_role')),
    /^resources\[0\]\.type: "postgresql_role" is not allowed: expected dharma_\*/,
  ],
  [
    'a resource type of another provider family',
    change((d) => (d.resources[0]!.type = 'aws_s3_bucket')),
    /^resources\[0\]\.type: "aws_s3_bucket" is not allowed: expected dharma_\*, time_\*, terraform_\* for provider local$/,
  ],
  [
    'a reference to an undeclared variable',
    change((d) => (d.resources[0]!.properties = { name: '${var.owner}' })),
    /^resources\[0\]\.properties\.name: unknown variable "owner"$/,
  ],
  [
    'a reference to a missing resource',
    change((d) => (d.outputs = { x: { value: '${dharma_postgresql_role.admin.name}' } })),
    /^outputs\.x\.value: reference to unknown resource "dharma_postgresql_role.admin"$/,
  ],
  [
    'an http health check without url',
    change((d) => (d.healthChecks = [{ name: 'web', kind: 'http' }])),
    /^healthChecks\[0\]\.url: is required for a http check$/,
  ],
  [
    'a health check naming a missing output',
    change(
      (d) => (d.healthChecks = [{ name: 'q', kind: 'sql', database: '${output.db}', query: 'SELECT 1' }]),
    ),
    /^healthChecks\[0\]\.database: unknown output "db"$/,
  ],
  [
    'an environment override of a missing resource',
    change((d) => (d.environments = { production: { resources: { cache: { properties: {} } } } })),
    /^environments\.production\.resources\.cache: unknown resource "cache"$/,
  ],
  [
    'a drift interval that is not a duration',
    change((d) => (d.drift = { interval: 'hourly', reconcile: true })),
    /^drift\.interval: must match pattern/,
  ],
  [
    'a health check port of the wrong type',
    change((d) => (d.healthChecks = [{ name: 't', kind: 'tcp', host: 'h', port: true }])),
    /^healthChecks\[0\]\.port: must be integer or must be string$/,
  ],
];

describe('blueprint validation', () => {
  it('accepts a well-formed blueprint', () => {
    assert.deepEqual(blueprintProblems(valid()), []);
  });

  for (const [label, doc, expected] of BAD) {
    it(`rejects ${label}, naming the field`, () => {
      const problems = blueprintProblems(doc).map((p) => `${p.path}: ${p.message}`);
      assert.ok(
        problems.some((p) => expected.test(p)),
        `expected ${expected} among ${JSON.stringify(problems)}`,
      );
    });
  }

  it('reports every problem at once, with paths and JSON pointers', () => {
    const doc = change((d) => {
      d.resources[1]!.dependsOn = ['cache', 'owner'];
      d.resources[0]!.type = 'google_sql_database';
    });
    assert.throws(
      () => validateBlueprintInput(doc),
      (error: unknown) => {
        assert.ok(error instanceof BlueprintInvalid);
        assert.deepEqual(
          error.problems.map((p) => p.pointer),
          // The retyped role no longer answers to dharma_postgresql_role.owner, which the database references.
          ['/resources/1/dependsOn/0', '/resources/0/type', '/resources/1/properties/owner'],
        );
        assert.match(error.message, /resources\[1\]\.dependsOn\[0\]: unknown resource "cache"/);
        return true;
      },
    );
  });

  it('accepts every starter blueprint shipped in blueprints/', async () => {
    const dir = path.join(packageRoot(), 'blueprints');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yaml'));
    assert.ok(files.length >= 5);
    for (const file of files) await readBlueprintFile(path.join(dir, file));
  });
});

describe('blueprint text', () => {
  it('reports YAML syntax errors with line and column', () => {
    const text = 'name: x\nresources:\n  - type: a\n   name: b\n';
    assert.throws(
      () => parseBlueprintText(text, 'yaml'),
      (error: unknown) =>
        error instanceof BlueprintSyntaxError &&
        error.line === 4 &&
        /YAML syntax error at line 4, column \d+/.test(error.message),
    );
  });

  it('reports JSON syntax errors with line and column, and refuses duplicate keys', () => {
    assert.throws(
      () => parseBlueprintText('{\n  "name": "x",\n  "region": [1,\n}', 'json'),
      (error: unknown) => error instanceof BlueprintSyntaxError && error.line === 4,
    );
    assert.throws(
      () => parseBlueprintText('name: a\nname: b\n', 'yaml'),
      (error: unknown) => error instanceof BlueprintSyntaxError && error.line === 2,
    );
  });

  it('round-trips YAML → JSON → YAML without change', async () => {
    const input = await readBlueprintFile(path.join(packageRoot(), 'blueprints', 'tenant-database.yaml'));
    const at = '2025-01-01T00:00:00.000Z';
    const bp = completeBlueprint(input, {
      id: 'tenant-database',
      version: '1.0.0',
      createdBy: 'me',
      createdAt: at,
      updatedAt: at,
    });
    const json = formatBlueprint(bp, 'json');
    const fromJson = parseBlueprintText(json, 'json');
    assert.deepEqual(fromJson, bp);
    const yaml = formatBlueprint(fromJson, 'yaml');
    assert.deepEqual(parseBlueprintText(yaml, 'yaml'), bp);
    assert.deepEqual(blueprintProblems(parseBlueprintText(yaml, 'yaml')), []);
  });
});

describe('semantic versions', () => {
  it('orders by precedence, releases above their pre-releases', () => {
    const sorted = ['1.10.0', '1.2.0', '1.2.0-rc.1', '1.2.0-alpha', '0.9.9', '2.0.0'].sort(compareSemVer);
    assert.deepEqual(sorted, ['0.9.9', '1.2.0-alpha', '1.2.0-rc.1', '1.2.0', '1.10.0', '2.0.0']);
  });

  it('bumps the minor version', () => {
    assert.equal(bumpMinor('1.0.0'), '1.1.0');
    assert.equal(bumpMinor('1.9.3'), '1.10.0');
    assert.equal(bumpMinor('2.0.0-rc.1'), '2.1.0');
  });
});

describe('health checks', () => {
  it('resolve ${output.<name>} placeholders from the applied outputs, and name a missing one', () => {
    const check = {
      name: 'web',
      kind: 'http' as const,
      url: 'https://${output.host}:${output.port}/healthz',
    };
    assert.deepEqual(resolveHealthCheck(check, { host: 'lb.example', port: 8443 }), {
      ...check,
      url: 'https://lb.example:8443/healthz',
    });
    assert.throws(() => resolveHealthCheck(check, { host: 'x' }), MissingOutput);
  });
});
