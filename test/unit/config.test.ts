import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { durationSetting, intSetting, parseDuration, setting, SETTINGS } from '../../lib/config.js';
import { replaceConfigTable } from '../../lib/config-table.js';
import { ConfigError } from '../../lib/errors.js';

describe('configuration', () => {
  it('gives every setting a default and a description', () => {
    for (const s of SETTINGS) {
      assert.ok(s.description.length > 10, `${s.env} needs a description`);
      assert.equal(typeof s.default, 'string');
    }
    assert.equal(new Set(SETTINGS.map((s) => s.env)).size, SETTINGS.length, 'no setting is listed twice');
  });

  it('is documented in README.md exactly as lib/config.ts defines it', () => {
    const readme = readFileSync('README.md', 'utf8');
    assert.equal(readme, replaceConfigTable(readme), 'run `npm run docs:config` to refresh the README table');
  });

  it('falls back to the default when a variable is unset or empty', () => {
    assert.equal(setting('API_PORT', {}), '8080');
    assert.equal(setting('API_PORT', { API_PORT: '' }), '8080');
    assert.equal(setting('API_PORT', { API_PORT: '9000' }), '9000');
  });

  it('names the variable and the expected shape on bad input', () => {
    assert.throws(
      () => intSetting('API_PORT', { API_PORT: 'eighty' }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.match(error.message, /API_PORT: expected a non-negative integer, got "eighty"/);
        return true;
      },
    );
    assert.throws(
      () => durationSetting('APPROVAL_TIMEOUT', { APPROVAL_TIMEOUT: 'tomorrow' }),
      /APPROVAL_TIMEOUT: expected a duration/,
    );
  });

  it('parses durations', () => {
    assert.equal(parseDuration('30s'), 30_000);
    assert.equal(parseDuration('15m'), 900_000);
    assert.equal(parseDuration('24h'), 86_400_000);
    assert.equal(parseDuration('1.5h'), 5_400_000);
    assert.equal(parseDuration('soon'), undefined);
  });
});
