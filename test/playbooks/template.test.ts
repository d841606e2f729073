import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlaybookRenderError } from '../../lib/playbooks/errors.js';
import { renderStep, renderTemplate, templateProblems } from '../../lib/playbooks/template.js';
import { alert } from './alerts.js';

const down = alert(
  'InstanceDown',
  { severity: 'critical', job: 'orders-api', instance: 'localhost:8080', replicas: '3' },
  { summary: 'orders-api on localhost:8080 is down' },
);

describe('renderStep', () => {
  const cases: [string, Parameters<typeof renderStep>[0], Record<string, unknown>][] = [
    [
      'fills labels into a string parameter',
      { name: 'restart', action: 'process.restart', params: { name: '{{ labels.job }}' } },
      { name: 'orders-api' },
    ],
    [
      'types a whole-value template as its parameter declares',
      {
        name: 'scale',
        action: 'workers.scale',
        params: { pool: '{{labels.job}}-workers', by: '{{ labels.replicas }}' },
      },
      { pool: 'orders-api-workers', by: 3 },
    ],
    [
      'keeps literals and fills alert fields',
      {
        name: 'rotate',
        action: 'logs.rotate',
        params: { directory: '/var/log/{{ target }}/{{ severity }}', maxBytes: 1024, compress: false },
      },
      { directory: '/var/log/localhost:8080/P1', maxBytes: 1024, compress: false },
    ],
  ];
  for (const [what, step, params] of cases) {
    it(what, () => assert.deepEqual(renderStep(step, down, 'test').params, params));
  }

  const refused: [string, Parameters<typeof renderStep>[0], RegExp][] = [
    [
      'a label the alert does not carry',
      { name: 'r', action: 'process.restart', params: { name: '{{ labels.service }}' } },
      /playbook test: step "r"\.params\.name: the alert has no labels\.service/,
    ],
    [
      'a value that does not render to the declared type',
      { name: 's', action: 'workers.scale', params: { pool: 'web', by: '{{ labels.job }}' } },
      /step "s"\.params\.by: rendered "orders-api", expected an integer/,
    ],
    [
      'an inherited property instead of a label',
      { name: 'r', action: 'process.restart', params: { name: '{{ labels.constructor }}' } },
      /the alert has no labels\.constructor/,
    ],
    [
      'an unknown path (no expressions are evaluated)',
      { name: 'r', action: 'process.restart', params: { name: '{{ process.exit() }}' } },
      /unknown template variable "process\.exit\(\)"/,
    ],
  ];
  for (const [what, step, message] of refused) {
    it(`refuses ${what}`, () =>
      assert.throws(
        () => renderStep(step, down, 'test'),
        (e: unknown) => e instanceof PlaybookRenderError && message.test(e.message),
      ));
  }
});

describe('templates', () => {
  it('render deeply in probes', () => {
    assert.deepEqual(
      renderTemplate({ kind: 'tcp', address: '{{ labels.instance }}' }, down, 'test', 'probe'),
      {
        kind: 'tcp',
        address: 'localhost:8080',
      },
    );
  });

  it('accept alert fields, labels and annotations, and refuse anything else at load time', () => {
    assert.deepEqual(
      templateProblems('{{ alertName }} {{ labels.job }} {{ annotations.summary }} {{ target }}'),
      [],
    );
    assert.deepEqual(templateProblems('{{ labels }}').length, 1);
    assert.deepEqual(templateProblems('{{ env.HOME }}').length, 1);
    assert.deepEqual(templateProblems('{{ labels.job | upper }}').length, 1);
  });
});
