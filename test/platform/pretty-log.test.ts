import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../lib/errors.js';
import { logFormatter, prettyLine } from '../../lib/platform/pretty-log.js';

describe('dharma up log format', () => {
  const line =
    '[workers] {"level":40,"time":1795556885736,"pid":7,"name":"dharma-worker","taskQueue":"dharma-ml","msg":"No workflows registered"}';

  it('prints child JSON lines for people by default (LOG_FORMAT=pretty)', () => {
    assert.equal(
      logFormatter({})(line),
      `${new Date(1795556885736).toISOString().slice(11, 19)} WARN  [workers] No workflows registered taskQueue=dharma-ml`,
    );
    assert.equal(prettyLine('[api] listening'), '[api] listening', 'plain lines pass through');
  });

  it('passes lines through unchanged with LOG_FORMAT=json', () => {
    assert.equal(logFormatter({ LOG_FORMAT: 'json' })(line), line);
  });

  it('names the variable on a bad value', () => {
    assert.throws(() => logFormatter({ LOG_FORMAT: 'xml' }), ConfigError);
    assert.throws(
      () => logFormatter({ LOG_FORMAT: 'xml' }),
      /LOG_FORMAT: expected pretty or json, got "xml"/,
    );
  });
});
