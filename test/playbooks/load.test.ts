import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { stringify } from 'yaml';
import { PlaybookInvalid } from '../../lib/playbooks/errors.js';
import {
  loadPlaybooks,
  parsePlaybook,
  playbooksDir,
  classifierMinConfidence,
} from '../../lib/playbooks/load.js';
import { needsApproval } from '../../lib/playbooks/match.js';
import { ConfigError } from '../../lib/errors.js';

const valid = () => ({
  id: 'disk-full',
  version: 1,
  description: 'Rotate logs.',
  match: { alertNames: ['DiskFull'], labels: { log_dir: '~"/.+"' } },
  risk: 'low',
  steps: [
    {
      name: 'rotate',
      action: 'logs.rotate',
      params: { directory: '{{ labels.log_dir }}', maxBytes: 1048576, compress: true },
    },
  ],
  verification: { window: '5m', probes: [{ kind: 'alert-resolved' }] },
  escalation: { notify: 'team' },
});
type Doc = ReturnType<typeof valid> & Record<string, unknown>;

/** The problems of one document, as "path: message" lines. */
function problems(doc: unknown, file = 'playbooks/disk-full.yaml'): string[] {
  const parsed = parsePlaybook(typeof doc === 'string' ? doc : stringify(doc), file);
  assert.ok(Array.isArray(parsed), 'expected the document to be refused');
  return parsed.map((p) => `${p.file}: ${p.path ? `${p.path}: ` : ''}${p.message}`);
}

const edit = (change: (doc: Doc) => void) => {
  const doc = valid() as Doc;
  change(doc);
  return doc;
};

const dirs: string[] = [];
async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'playbooks-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(dir, name), text);
  return dir;
}
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('the shipped playbooks', () => {
  it('all load, one per default alert rule of domain section 5 plus the AWS variants', async () => {
    const ids = (await loadPlaybooks(playbooksDir({}))).map((p) => p.id);
    assert.deepEqual(ids, [
      'certificate-expiry',
      'cpu-high',
      'cpu-high-aws-asg',
      'disk-full',
      'error-rate-high',
      'latency-high',
      'memory-high',
      'memory-high-aws-ec2',
      'postgres-connections',
      'service-unavailable',
      'service-unavailable-aws-rds',
    ]);
  });

  it('use every remediation action the issue names', async () => {
    const playbooks = await loadPlaybooks(playbooksDir({}));
    const used = new Set(
      playbooks.flatMap((p) => [
        ...p.steps.map((s) => s.action),
        ...p.preChecks.flatMap((c) => (c.kind === 'snapshot' ? [c.action] : [])),
      ]),
    );
    for (const action of [
      'process.restart',
      'postgres.terminate-idle-connections',
      'logs.rotate',
      'workers.scale',
      'stack.rollback',
      'aws.ec2.reboot',
      'aws.asg.set-desired-capacity',
      'aws.rds.reboot',
    ])
      assert.ok(used.has(action), action);
  });
});

describe('a playbook document', () => {
  it('gets its defaults: approval in production and for high risk, no pre-checks, no rollback', () => {
    const parsed = parsePlaybook(stringify(valid()), 'playbooks/disk-full.yaml');
    assert.ok(!Array.isArray(parsed));
    assert.deepEqual(parsed.approval, { environments: ['production'], whenRisk: ['high'] });
    assert.deepEqual([parsed.preChecks, parsed.rollback], [[], []]);
    assert.equal(needsApproval(parsed, 'production'), true);
    assert.equal(needsApproval(parsed, 'staging'), false);
    assert.equal(needsApproval({ ...parsed, risk: 'high' }, 'staging'), true);
  });

  it('may be JSON', () => {
    const parsed = parsePlaybook(JSON.stringify(valid()), 'playbooks/disk-full.json');
    assert.ok(!Array.isArray(parsed));
    assert.equal(parsed.id, 'disk-full');
  });

  const F = 'playbooks/disk-full.yaml';
  const cases: [string, unknown, string[]][] = [
    [
      'an unknown action, listing the known ones',
      edit((d) => (d.steps[0]!.action = 'rm-rf')),
      [
        `${F}: steps[0].action: unknown action "rm-rf"; known: process.restart, postgres.terminate-idle-connections`,
      ],
    ],
    [
      'a missing required parameter and an unknown one',
      edit((d) => (d.steps[0]!.params = { dir: '/var/log' } as never)),
      [
        `${F}: steps[0].params.directory: is required by logs.rotate`,
        `${F}: steps[0].params.dir: not a parameter of logs.rotate; known: directory, maxBytes, pattern, keep, compress`,
      ],
    ],
    [
      'a parameter literal of the wrong type',
      edit(
        (d) =>
          (d.steps[0]!.params = {
            directory: '/var/log',
            maxBytes: 1048576,
            compress: 'yes please',
          } as never),
      ),
      [`${F}: steps[0].params.compress: must be true or false`],
    ],
    [
      'text around a template where a number is expected',
      edit((d) => {
        d.steps[0] = {
          name: 'scale',
          action: 'workers.scale',
          params: { pool: 'web', by: '{{ labels.n }} more' },
        } as never;
      }),
      [`${F}: steps[0].params.by: must be an integer or a single {{ }} template`],
    ],
    [
      'an unknown template variable',
      edit((d) => (d.steps[0]!.params.directory = '{{ alert.labels.log_dir }}')),
      [
        `${F}: steps[0].params.directory: unknown template variable "alert.labels.log_dir"; known: alertName, target`,
      ],
    ],
    [
      'an unknown template variable in a probe',
      edit(
        (d) => (d.verification.probes = [{ kind: 'http', url: 'http://{{ labels.host.name }}/' }] as never),
      ),
      [`${F}: verification.probes[0].url: unknown template variable "labels.host.name"`],
    ],
    [
      'an unbalanced template',
      edit((d) => (d.steps[0]!.params.directory = '{{ labels.log_dir }')),
      [`${F}: steps[0].params.directory: unbalanced "{{" or "}}" in template`],
    ],
    [
      'an invalid label regex',
      edit((d) => (d.match.labels = { log_dir: '~"(unclosed"' })),
      [`${F}: match.labels.log_dir: invalid regular expression "(unclosed"`],
    ],
    [
      'an empty match',
      edit((d) => (d.match = {} as never)),
      [`${F}: match: must name at least one of alertNames, labels, severities, classifierCause`],
    ],
    [
      'an unknown severity, risk and classifier cause',
      edit((d) => {
        d.match = { severities: ['P5'], classifierCause: 'GREMLINS' } as never;
        d.risk = 'extreme';
      }),
      [
        `${F}: match.severities[0]: must be one of P1, P2, P3, P4`,
        `${F}: match.classifierCause: must be one of MEMORY_LEAK, DISK_FULL`,
        `${F}: risk: must be one of low, medium, high`,
      ],
    ],
    [
      'a pre-check missing a field of its kind',
      edit((d) => (d.preChecks = [{ kind: 'no-active-deployment' }, { kind: 'rate-limit', per: '1h' }])),
      [`${F}: preChecks[1].max: is required`],
    ],
    [
      'a snapshot pre-check with an unknown action',
      edit((d) => (d.preChecks = [{ kind: 'snapshot', action: 'tar-everything' }])),
      [`${F}: preChecks[0].action: unknown action "tar-everything"`],
    ],
    [
      'a dependency probe of a kind that does not answer at once',
      edit((d) => (d.preChecks = [{ kind: 'dependencies-healthy', probes: [{ kind: 'alert-resolved' }] }])),
      [`${F}: preChecks[0].probes[0].kind: must be one of http, tcp, sql, prometheus`],
    ],
    [
      'a dependency probe without its fields',
      edit((d) => (d.preChecks = [{ kind: 'dependencies-healthy', probes: [{ kind: 'tcp' }] }])),
      [`${F}: preChecks[0].probes[0].address: is required`],
    ],
    [
      'a dependency probe with templated SQL, or an empty list',
      edit(
        (d) =>
          (d.preChecks = [
            {
              kind: 'dependencies-healthy',
              probes: [{ kind: 'sql', query: 'select * from {{ labels.t }}' }],
            },
            { kind: 'dependencies-healthy', probes: [] },
          ]),
      ),
      [
        `${F}: preChecks[0].probes[0].query: an SQL query cannot contain {{ }} templates`,
        `${F}: preChecks[1].probes: must not have fewer than 1 items`,
      ],
    ],
    [
      'an unknown probe kind and a bad window',
      edit((d) => (d.verification = { window: 'five minutes', probes: [{ kind: 'ping' }] } as never)),
      [
        `${F}: verification.window: must be a duration such as 30s, 5m, 1h`,
        `${F}: verification.probes[0].kind: must be one of http, tcp, sql`,
      ],
    ],
    [
      'misspelt and missing top-level fields',
      edit((d) => {
        d.escalaton = d.escalation;
        delete (d as Partial<Doc>).escalation;
      }),
      [`${F}: escalation: is required`, `${F}: escalaton: is not an allowed property`],
    ],
    [
      'duplicate step names, also in rollback steps',
      edit((d) => {
        d.steps.push({ ...d.steps[0]! });
        d.rollback = [{ name: 'undo', action: 'workers.scale', params: { pool: 'web' } }];
      }),
      [
        `${F}: steps[1].name: duplicate step name (also steps[0])`,
        `${F}: rollback[0].params.by: is required by workers.scale`,
      ],
    ],
    [
      'a YAML syntax error, with its line and column',
      'id: x\nmatch: [unclosed\n',
      [`${F}: YAML syntax error at line 3, column 1`],
    ],
  ];
  for (const [what, doc, expected] of cases) {
    it(`is refused for ${what}`, () => {
      const got = problems(doc);
      for (const line of expected)
        assert.ok(
          got.some((g) => g.startsWith(line)),
          `expected a problem starting with\n  ${line}\ngot\n  ${got.join('\n  ')}`,
        );
    });
  }
});

describe('loadPlaybooks', () => {
  const yaml = (change: (d: Doc) => void = () => {}) => stringify(edit(change));

  it('refuses the whole set when one file is bad, naming every problem of every file', async () => {
    const dir = await dirWith({
      'a.yaml': yaml((d) => (d.id = 'first')),
      'b.yaml': yaml((d) => ((d.id = 'second'), (d.steps[0]!.action = 'rm-rf'))),
      'c.yml': 'id: [',
      'README.md': '# not a playbook',
    });
    const error = await loadPlaybooks(dir).then(
      () => assert.fail('expected PlaybookInvalid'),
      (e: unknown) => e,
    );
    assert.ok(error instanceof PlaybookInvalid);
    assert.deepEqual(
      error.problems.map((p) => [path.basename(p.file), p.path]),
      [
        ['b.yaml', 'steps[0].action'],
        ['c.yml', ''],
      ],
    );
    assert.match(error.message, /b\.yaml: steps\[0\]\.action: unknown action "rm-rf"/);
  });

  it('refuses duplicate ids, a classifier cause claimed twice, and identical rules', async () => {
    const dir = await dirWith({
      'one.yaml': yaml((d) => (d.match = { ...d.match, classifierCause: 'DISK_FULL' } as never)),
      'two.yaml': yaml(
        (d) =>
          (d.match = {
            alertNames: ['DiskFull'],
            labels: { log_dir: '~"/.+"' },
            classifierCause: 'DISK_FULL',
          } as never),
      ),
    });
    const error = await loadPlaybooks(dir).catch((e: unknown) => e);
    assert.ok(error instanceof PlaybookInvalid);
    assert.deepEqual(
      error.problems.map(
        (p) => `${path.basename(p.file)}: ${p.path}: ${p.message.replace(dir + path.sep, '')}`,
      ),
      [
        'two.yaml: id: duplicate playbook id "disk-full" (also one.yaml)',
        'two.yaml: match.classifierCause: DISK_FULL already handled (also one.yaml)',
        'two.yaml: match: the same rules as another playbook: one of them could never be chosen (also one.yaml)',
      ],
    );
  });

  it('says so when the directory does not exist', async () => {
    await assert.rejects(
      loadPlaybooks('/nonexistent/playbooks'),
      /\/nonexistent\/playbooks: no such directory/,
    );
  });
});

describe('settings', () => {
  it('PLAYBOOKS_DIR defaults to playbooks/, CLASSIFIER_MIN_CONFIDENCE to 0.6 and must lie in 0..1', () => {
    assert.equal(playbooksDir({}), path.resolve('playbooks'));
    assert.equal(classifierMinConfidence({}), 0.6);
    assert.equal(classifierMinConfidence({ CLASSIFIER_MIN_CONFIDENCE: '0.8' }), 0.8);
    assert.throws(() => classifierMinConfidence({ CLASSIFIER_MIN_CONFIDENCE: '80%' }), ConfigError);
    assert.throws(() => classifierMinConfidence({ CLASSIFIER_MIN_CONFIDENCE: '1.5' }), ConfigError);
  });
});
