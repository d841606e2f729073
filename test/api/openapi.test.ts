import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { apiFixture } from './api-fixture.js';

const f = await apiFixture();

const EXPECTED = [
  ['post', '/v1/runs'],
  ['get', '/v1/runs'],
  ['get', '/v1/runs/{id}'],
  ['post', '/v1/runs/{id}/approvals'],
  ['post', '/v1/runs/{id}/cancel'],
  ['get', '/v1/audit'],
  ['get', '/v1/blueprints'],
  ['post', '/v1/blueprints'],
  ['get', '/v1/blueprints/{id}'],
  ['put', '/v1/blueprints/{id}'],
  ['delete', '/v1/blueprints/{id}'],
  ['post', '/v1/blueprints/{id}/clone'],
  ['get', '/v1/blueprints/{id}/versions'],
  ['post', '/v1/blueprints/import'],
  ['get', '/v1/blueprints/{id}/export'],
  ['post', '/v1/deployments'],
  ['get', '/v1/deployments/{id}'],
  ['get', '/v1/deployments/{id}/plan'],
  ['post', '/v1/deployments/{id}/rollback'],
  ['post', '/v1/webhooks/alertmanager'],
  ['post', '/v1/webhooks/grafana'],
  ['post', '/v1/webhooks/pagerduty'],
  ['post', '/v1/webhooks/generic'],
  ['get', '/v1/incidents'],
  ['get', '/v1/incidents/{id}'],
  ['get', '/healthz'],
  ['get', '/readyz'],
  ['get', '/metrics'],
] as const;

interface Operation {
  summary?: string;
  security?: unknown[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
}

/** Every `$ref` in the document points at something that exists. */
function danglingRefs(doc: unknown, node: unknown = doc, found: string[] = []): string[] {
  if (Array.isArray(node)) node.forEach((n) => danglingRefs(doc, n, found));
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') {
        const target = value
          .replace(/^#\//, '')
          .split('/')
          .reduce<unknown>((n, part) => (n as Record<string, unknown> | undefined)?.[part], doc);
        if (target === undefined) found.push(value);
      } else danglingRefs(doc, value, found);
    }
  }
  return found;
}

describe('OpenAPI', () => {
  it('serves an OpenAPI 3.1 document at /openapi.json listing every route with its schemas', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.info.title, 'Dharma API');
    assert.deepEqual(doc.components.securitySchemes.bearerAuth, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    const documented = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
      ([p, ops]) => Object.keys(ops).map((m) => `${m} ${p}`),
    );
    assert.deepEqual(documented.sort(), EXPECTED.map(([m, p]) => `${m} ${p}`).sort());
    for (const [method, route] of EXPECTED) {
      const op = doc.paths[route][method] as Operation;
      assert.ok(op.summary, `${method} ${route} has a summary`);
      assert.ok(
        Object.keys(op.responses).some((code) => code.startsWith('2')),
        `${method} ${route} documents success`,
      );
      // Webhooks authenticate each monitoring source by its key or signature, and deduplicate by alert
      // fingerprint rather than by Idempotency-Key.
      const webhook = route.startsWith('/v1/webhooks/');
      if (webhook) {
        assert.ok(op.requestBody && op.responses['401'], `${method} ${route} documents its body and 401`);
      } else if (route.startsWith('/v1/')) {
        assert.deepEqual(op.security, [{ bearerAuth: [] }], `${method} ${route} requires a bearer token`);
        assert.ok(op.responses['401'] && op.responses['403'], `${method} ${route} documents auth errors`);
      }
      if (method === 'post' && !webhook) {
        assert.ok(op.requestBody, `${method} ${route} documents its body`);
        assert.ok(
          op.parameters?.some((p) => p.in === 'header' && p.name === 'idempotency-key'),
          `${method} ${route} documents the Idempotency-Key header`,
        );
      }
    }
    assert.deepEqual(danglingRefs(doc), []);
  });

  it('serves interactive docs at /docs', async () => {
    const res = await f.app.inject({ method: 'GET', url: '/docs/' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /text\/html/);
    assert.match(res.body, /swagger/i);
  });
});
