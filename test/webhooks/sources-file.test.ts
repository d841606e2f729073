import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { hmacHex, keyHash } from '../../api/webhooks/verify.js';
import { WebhookSourcesInvalid } from '../../lib/alerts/sources-file.js';
import { onCleanup } from '../harness/cleanup.js';
import { apiFixture, until } from '../api/api-fixture.js';

const f = await apiFixture();
const dir = await mkdtemp(path.join(tmpdir(), 'dharma-sources-'));
onCleanup(() => rm(dir, { recursive: true, force: true }));

const file = path.join(dir, 'sources.yaml');
const env = {
  WEBHOOK_SOURCES_FILE: file,
  WEBHOOK_SOURCES_CACHE: '100ms',
  AM_KEY: 'am-key-from-env',
  GENERIC_SECRET: 'generic-secret-from-env',
};

/** The API as `dharma api` builds it from its settings, with this file's environment. */
const start = (extra: Record<string, string> = {}) =>
  f.build({ env: { ...env, ...extra }, rateLimitPerMinute: 100_000 });
type App = Awaited<ReturnType<typeof start>>;

const rows = async () =>
  (
    await f.db.query<{
      source: string;
      kind: string;
      secret: string | null;
      key_hash: string | null;
      origin: string;
    }>('SELECT source, kind, secret, key_hash, origin FROM webhook_sources ORDER BY source')
  ).rows;

/**
 * Credentials are checked before the body: a malformed body answers 400 only to an authenticated caller,
 * 401 to anyone else, so these probes prove the credential without starting a workflow.
 */
const bearer = (app: App, kind: string, key: string, source?: string) =>
  app
    .inject({
      method: 'POST',
      url: `/v1/webhooks/${kind}${source ? `?source=${source}` : ''}`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      payload: '{}',
    })
    .then((res) => res.statusCode);
const signed = (app: App, kind: 'generic' | 'pagerduty', secret: string, body = '{}') => {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers: Record<string, string> =
    kind === 'generic'
      ? {
          'x-dharma-timestamp': timestamp,
          'x-dharma-signature': `sha256=${hmacHex(secret, `${timestamp}.`, body)}`,
        }
      : { 'x-pagerduty-signature': `v1=${hmacHex(secret, body)}` };
  return app.inject({
    method: 'POST',
    url: `/v1/webhooks/${kind}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: body,
  });
};

describe('webhook sources from WEBHOOK_SOURCES_FILE', () => {
  let app: App;

  it('upserts the file at start: keys hashed, secrets from the environment, SQL sources kept', async () => {
    await f.db.query(
      `INSERT INTO webhook_sources (source, kind, key_hash) VALUES ('hand-made', 'grafana', $1)`,
      [keyHash('sql-key')],
    );
    await writeFile(
      file,
      `sources:
  - name: alertmanager
    kind: alertmanager
    keyEnv: AM_KEY
  - name: pagerduty
    kind: pagerduty
    secret: pd-inline-secret
  - name: generic
    kind: generic
    secretEnv: GENERIC_SECRET
`,
    );
    app = await start();
    assert.deepEqual(await rows(), [
      {
        source: 'alertmanager',
        kind: 'alertmanager',
        secret: null,
        key_hash: keyHash('am-key-from-env'),
        origin: 'file',
      },
      {
        source: 'generic',
        kind: 'generic',
        secret: 'generic-secret-from-env',
        key_hash: null,
        origin: 'file',
      },
      { source: 'hand-made', kind: 'grafana', secret: null, key_hash: keyHash('sql-key'), origin: 'sql' },
      { source: 'pagerduty', kind: 'pagerduty', secret: 'pd-inline-secret', key_hash: null, origin: 'file' },
    ]);
    assert.equal(await bearer(app, 'alertmanager', 'am-key-from-env'), 400);
    assert.equal(await bearer(app, 'alertmanager', 'AM_KEY'), 401);
    assert.equal(await bearer(app, 'grafana', 'sql-key', 'hand-made'), 400);
    assert.equal((await signed(app, 'pagerduty', 'pd-inline-secret')).statusCode, 400);
    assert.equal((await signed(app, 'pagerduty', 'wrong')).statusCode, 401);

    // One alert all the way: the file's generic source starts a remediation workflow.
    const fingerprint = `${f.prefix}-from-file`;
    const body = JSON.stringify({ alertName: 'DiskFull', fingerprint, severity: 'info' });
    const res = await signed(app, 'generic', 'generic-secret-from-env', body);
    assert.equal(res.statusCode, 202, res.body);
    const handle = f.client.workflow.getHandle(`incident-${fingerprint}`);
    onCleanup(() => handle.terminate('test over').catch(() => undefined));
    assert.equal((await handle.describe()).type, 'remediation');
  });

  it('re-applies the file when it changes, without a restart: a removed source is revoked', async () => {
    await writeFile(
      file,
      JSON.stringify({
        sources: [
          { name: 'alertmanager', kind: 'alertmanager', key: 'rotated-key' },
          { name: 'generic', kind: 'generic', secretEnv: 'GENERIC_SECRET', enabled: false },
          { name: 'grafana', kind: 'grafana', keyEnv: 'AM_KEY' },
        ],
      }),
    );
    await until(
      () => bearer(app, 'alertmanager', 'rotated-key'),
      (status) => status === 400,
    );
    assert.equal(await bearer(app, 'alertmanager', 'am-key-from-env'), 401);
    assert.equal(await bearer(app, 'grafana', 'am-key-from-env'), 400);
    assert.equal((await signed(app, 'pagerduty', 'pd-inline-secret')).statusCode, 401);
    const disabled = await signed(app, 'generic', 'generic-secret-from-env');
    assert.equal(disabled.statusCode, 401);
    assert.match(disabled.body, /disabled/);
    assert.deepEqual(
      (await rows()).map((r) => `${r.source}:${r.origin}`),
      ['alertmanager:file', 'generic:file', 'grafana:file', 'hand-made:sql'],
    );
  });

  it('keeps the sources in effect when an edit is invalid', async () => {
    const before = await rows();
    await writeFile(file, 'sources:\n  - name: alertmanager\n    kind: nagios\n    key: other-key\n');
    // Past several refreshes: the bad file was read and refused.
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(await bearer(app, 'alertmanager', 'rotated-key'), 400);
    assert.equal(await bearer(app, 'alertmanager', 'other-key'), 401);
    assert.deepEqual(await rows(), before);
  });

  it('refuses to start on an invalid file, naming the file and every field', async () => {
    const bad = path.join(dir, 'bad.yaml');
    const refusal = async (text: string) => {
      await writeFile(bad, text);
      return start({ WEBHOOK_SOURCES_FILE: bad }).then(
        () => assert.fail('the API started'),
        (error: unknown) => error as Error,
      );
    };
    const shape = await refusal('sources:\n  - name: bad name\n    kind: nagios\n    token: x\n');
    assert.ok(shape instanceof WebhookSourcesInvalid, String(shape));
    assert.deepEqual(
      shape.problems.map((p) => `${p.path}: ${p.message}`),
      [
        'sources[0].token: is not an allowed property',
        'sources[0].name: must be a name of up to 100 letters, digits, ".", "_" or "-", starting with a letter or digit',
        'sources[0].kind: must be one of alertmanager, grafana, pagerduty, generic',
      ],
    );
    assert.ok(shape.message.includes(`${bad}: sources[0].kind: must be one of`), shape.message);

    const credentials = await refusal(`sources:
  - name: am
    kind: alertmanager
    secret: not-a-key
  - name: pd
    kind: pagerduty
    secretEnv: UNSET_SECRET
  - name: am
    kind: grafana
    key: k
    keyEnv: AM_KEY
  - name: empty
    kind: generic
`);
    assert.ok(credentials instanceof WebhookSourcesInvalid, String(credentials));
    assert.deepEqual(
      credentials.problems.map((p) => `${p.path}: ${p.message}`),
      [
        'sources[0].secret: alertmanager sources authenticate with a bearer key (key or keyEnv)',
        'sources[0]: needs a bearer key (key or keyEnv)',
        'sources[1].secretEnv: environment variable UNSET_SECRET is not set',
        'sources[2].name: duplicate source name "am" (also sources[0])',
        'sources[2].keyEnv: give key or keyEnv, not both',
        'sources[3]: needs an HMAC signing secret (secret or secretEnv)',
      ],
    );

    const syntax = await refusal('sources:\n  - name: a\n   kind: generic\n');
    assert.ok(syntax.message.includes(`${bad}: YAML syntax error at line 3`), syntax.message);

    const missing = path.join(dir, 'missing.yaml');
    await assert.rejects(start({ WEBHOOK_SOURCES_FILE: missing }), (error: Error) =>
      error.message.includes(`${missing}: cannot be read (ENOENT)`),
    );
    // None of the refused starts touched the table.
    assert.deepEqual(
      (await rows()).map((r) => r.source),
      ['alertmanager', 'generic', 'grafana', 'hand-made'],
    );
  });
});
