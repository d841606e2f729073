import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { loadAuthConfig, trustsDevKey } from '../../lib/auth/config.js';
import { DEV_KEY_FILE, loadOrCreateDevKey } from '../../lib/auth/dev-key.js';
import { freePort } from '../../lib/net.js';
import { apiFixture, AUDIENCE, bearer, ISSUER } from './api-fixture.js';

const f = await apiFixture();
const HS_SECRET = 'a-development-secret-of-32-chars!!';
const hsApp = await f.build({ auth: { ...f.auth, hs256Secret: HS_SECRET } });

const listRuns = (token: string, app = f.app) =>
  app.inject({ method: 'GET', url: '/v1/runs?limit=1', headers: bearer(token) });
const claims = { roles: ['viewer'] };

describe('API authentication', () => {
  it('accepts a valid dev token and refuses a request without one', async () => {
    assert.equal((await listRuns(await f.token('vera', ['viewer']))).statusCode, 200);
    const missing = await f.app.inject({ method: 'GET', url: '/v1/runs' });
    assert.equal(missing.statusCode, 401);
    assert.equal(missing.json().details.reason, 'missing_token');
    assert.match(String(missing.headers['www-authenticate']), /^Bearer /);
  });

  it('refuses a forged signature (same claims, another key) with 401', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: f.devKey.kid })
      .setSubject('mallory')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await listRuns(forged);
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().details.reason, 'bad_signature');
  });

  it('refuses an expired token, a wrong issuer, a wrong audience and a token without exp', async () => {
    const sign = (build: (jwt: SignJWT) => SignJWT) =>
      build(
        new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: f.devKey.kid }).setSubject('eve'),
      ).sign(f.devKey.privateKey);
    const expired = await sign((j) =>
      j
        .setIssuer(ISSUER)
        .setAudience(AUDIENCE)
        .setExpirationTime(Math.floor(Date.now() / 1000) - 120),
    );
    const wrongIssuer = await sign((j) =>
      j.setIssuer('someone-else').setAudience(AUDIENCE).setExpirationTime('5m'),
    );
    const wrongAudience = await sign((j) =>
      j.setIssuer(ISSUER).setAudience('other-api').setExpirationTime('5m'),
    );
    const noExp = await sign((j) => j.setIssuer(ISSUER).setAudience(AUDIENCE));
    const cases = [
      [expired, 'expired', /expired/],
      [wrongIssuer, 'invalid_claims', /"iss"/],
      [wrongAudience, 'invalid_claims', /"aud"/],
      [noExp, 'invalid_claims', /"exp"/],
    ] as const;
    for (const [token, reason, message] of cases) {
      const res = await listRuns(token);
      assert.equal(res.statusCode, 401, reason);
      assert.equal(res.json().details.reason, reason);
      assert.match(res.json().message, message);
    }
  });

  it('refuses alg=none, and HS256 unless it is enabled', async () => {
    const none = new UnsecuredJWT(claims)
      .setSubject('eve')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .encode();
    const noneRes = await listRuns(none);
    assert.equal(noneRes.statusCode, 401);
    assert.match(noneRes.json().message, /algorithm none is not accepted/);

    const hs = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('hugo')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(HS_SECRET));
    const disabled = await listRuns(hs);
    assert.equal(disabled.statusCode, 401);
    assert.equal(disabled.json().details.reason, 'algorithm_not_allowed');
    assert.equal((await listRuns(hs, hsApp)).statusCode, 200, 'HS256 works once enabled');
  });

  it('answers 403 naming the permission when the role does not grant it', async () => {
    const res = await f.app.inject({
      method: 'GET',
      url: '/v1/audit',
      headers: bearer(await f.token('vera', ['viewer'])),
    });
    assert.equal(res.statusCode, 403);
    assert.match(res.json().message, /audit:read/);
  });

  it('counts refused tokens by reason in /metrics', async () => {
    const text = (await f.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(text, /dharma_api_auth_failures_total\{reason="bad_signature"\} [1-9]/);
    assert.match(
      text,
      /dharma_api_request_duration_seconds_bucket\{[^}]*route="\/v1\/runs"[^}]*status="401"/,
    );
  });
});

describe('auth configuration', () => {
  it('creates the dev key once, mode 0600, and loads the same key afterwards', async () => {
    const home = await mkdtemp(path.join(tmpdir(), 'dharma-key-'));
    after(() => rm(home, { recursive: true, force: true }));
    const [a, b] = await Promise.all([loadOrCreateDevKey(home), loadOrCreateDevKey(home)]);
    assert.equal(a.kid, b.kid, 'concurrent creators agree on one key');
    assert.equal((await stat(path.join(home, DEV_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await loadOrCreateDevKey(home)).kid, a.kid);
    assert.equal(JSON.parse(await readFile(path.join(home, DEV_KEY_FILE), 'utf8')).alg, 'ES256');
  });

  it('trusts the dev key on embedded defaults only, unless AUTH_DEV_KEY says otherwise', () => {
    assert.equal(trustsDevKey({}), true);
    assert.equal(trustsDevKey({ TEMPORAL_ADDRESS: 'temporal:7233' }), false);
    assert.equal(trustsDevKey({ DATABASE_URL: 'postgres://db/dharma' }), false);
    assert.equal(trustsDevKey({ TEMPORAL_ADDRESS: 'temporal:7233', AUTH_DEV_KEY: 'true' }), true);
    assert.equal(trustsDevKey({ AUTH_DEV_KEY: 'false' }), false);
  });

  it('fails fast in production mode without a verification source, naming the variable', async () => {
    await assert.rejects(
      loadAuthConfig({ TEMPORAL_ADDRESS: 'temporal:7233', DATABASE_URL: 'postgres://db/x' }),
      /AUTH_JWKS_URL/,
    );
    await assert.rejects(
      loadAuthConfig({
        TEMPORAL_ADDRESS: 'temporal:7233',
        AUTH_ALLOW_HS256: 'true',
        AUTH_HS256_SECRET: 'short',
      }),
      /AUTH_HS256_SECRET/,
    );
  });

  it("answers 503 with Retry-After when the identity provider's key set cannot be fetched, not 401", async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'RS256' };
    let answer: 'keys' | 'error' = 'error';
    const idp = http.createServer((_req, res) => {
      if (answer === 'error') res.writeHead(500).end('upstream trouble');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => idp.listen(0, '127.0.0.1', resolve));
    after(() => new Promise<void>((resolve) => idp.close(() => resolve())));
    const { port } = idp.address() as AddressInfo;
    const app = await f.build({ auth: { ...f.auth, jwksUrl: `http://127.0.0.1:${port}/jwks.json` } });
    const token = await new SignJWT({ roles: ['viewer'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'idp-1' })
      .setSubject('idp-user')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);

    const failing = await listRuns(token, app);
    assert.equal(failing.statusCode, 503, failing.body);
    assert.equal(failing.json().error, 'dependency_unavailable');
    assert.equal(failing.json().details.dependency, 'identity provider');
    assert.ok(failing.headers['retry-after']);
    answer = 'keys';
    assert.equal((await listRuns(token, app)).statusCode, 200, 'served once the key set answers');

    const unreachable = await f.build({
      auth: { ...f.auth, jwksUrl: `http://127.0.0.1:${await freePort()}/jwks.json` },
    });
    assert.equal((await listRuns(token, unreachable)).statusCode, 503);
  });

  it('verifies RS256 tokens against a configured PEM public key', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'dharma-pem-'));
    after(() => rm(dir, { recursive: true, force: true }));
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const pemFile = path.join(dir, 'idp.pem');
    await writeFile(pemFile, publicKey.export({ type: 'spki', format: 'pem' }));
    const auth = await loadAuthConfig({ TEMPORAL_ADDRESS: 'temporal:7233', AUTH_PUBLIC_KEYS: pemFile });
    assert.equal(auth.publicKeys[0]?.alg, 'RS256');
    const app = await f.build({ auth });
    const token = await new SignJWT({ roles: ['viewer'] })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('idp-user')
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setExpirationTime('5m')
      .sign(privateKey);
    assert.equal((await listRuns(token, app)).statusCode, 200);
    assert.equal(
      (await listRuns(await f.token('vera', ['viewer']), app)).statusCode,
      401,
      'dev key not trusted there',
    );
  });
});
