import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import { createLogRotationActions } from '../../activities/cloud/remediation/log-rotation.js';
import { onCleanup } from '../harness/cleanup.js';
import { nonRetryableFailureOf } from '../harness/failures.js';

const root = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-logs-'));
onCleanup(() => fs.rm(root, { recursive: true, force: true }));
const { rotateLogs } = createLogRotationActions({ env: { REMEDIATION_LOG_DIRS: `/nonexistent, ${root}` } });

async function logDir(files: Record<string, string>): Promise<string> {
  const dir = await fs.mkdtemp(path.join(root, 'app-'));
  for (const [name, content] of Object.entries(files)) await fs.writeFile(path.join(dir, name), content);
  return dir;
}

const read = async (dir: string, name: string) => fs.readFile(path.join(dir, name));

const rejection = async (promise: Promise<unknown>, type: string) =>
  (await nonRetryableFailureOf(promise, type)).message;

describe('rotateLogs', () => {
  it('rotates files over maxBytes, gzips older generations, deletes beyond keep and reports bytes freed', async () => {
    const big = 'x'.repeat(10_000);
    const dir = await logDir({
      'api.log': `current ${big}`,
      'api.log.1': `previous ${big}`,
      'api.log.2.gz': 'gz-two',
      'api.log.3.gz': 'gz-three',
      'small.log': 'tiny',
      'notes.txt': big,
    });

    const result = await rotateLogs({ directory: dir, maxBytes: 1000, keep: 3 });

    assert.deepEqual(
      result.rotated.map((r) => path.basename(r.file)),
      ['api.log'],
    );
    assert.equal(result.rotated[0]!.bytesBefore, big.length + 8);
    assert.deepEqual(result.rotated[0]!.generations, ['api.log.1', 'api.log.2.gz', 'api.log.3.gz']);
    assert.deepEqual(result.deleted, [path.join(dir, 'api.log.3.gz')]);
    assert.deepEqual(result.compressed, [path.join(dir, 'api.log.2.gz')]);
    assert.equal((await read(dir, 'api.log')).length, 0);
    assert.equal((await read(dir, 'api.log.1')).toString(), `current ${big}`);
    assert.equal(gunzipSync(await read(dir, 'api.log.2.gz')).toString(), `previous ${big}`);
    assert.equal((await read(dir, 'api.log.3.gz')).toString(), 'gz-two');
    assert.equal((await read(dir, 'small.log')).toString(), 'tiny');
    assert.equal((await read(dir, 'notes.txt')).length, big.length);
    const freed = 'gz-three'.length + `previous ${big}`.length - (await read(dir, 'api.log.2.gz')).length;
    assert.equal(result.bytesFreed, freed);
    assert.ok(result.bytesFreed > 9000);

    const again = await rotateLogs({ directory: dir, maxBytes: 1000, keep: 3 });
    assert.deepEqual(again.rotated, []);
    assert.equal(again.bytesFreed, 0);
  });

  it('honours the pattern, keep: 0 (truncate) and compress: false', async () => {
    const dir = await logDir({
      'worker.out': 'y'.repeat(500),
      'worker.out.1': 'old',
      'api.log': 'z'.repeat(500),
    });
    const none = await rotateLogs({ directory: dir, pattern: 'worker.*', maxBytes: 100, keep: 0 });
    assert.deepEqual(none.deleted, [path.join(dir, 'worker.out.1')]);
    assert.equal((await read(dir, 'worker.out')).length, 0);
    assert.equal(none.bytesFreed, 503);
    assert.equal((await read(dir, 'api.log')).length, 500);

    await fs.writeFile(path.join(dir, 'api.log.1'), 'one');
    const plain = await rotateLogs({ directory: dir, maxBytes: 100, keep: 2, compress: false });
    assert.deepEqual(plain.rotated[0]!.generations, ['api.log.1', 'api.log.2']);
    assert.deepEqual(plain.compressed, []);
    assert.equal(plain.bytesFreed, 0);
  });

  it('never reads, writes or deletes through a link planted among the generations', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-outside-'));
    onCleanup(() => fs.rm(outside, { recursive: true, force: true }));
    const secret = path.join(outside, 'secret');
    const victim = path.join(outside, 'victim');
    await fs.writeFile(secret, 'top secret');
    await fs.writeFile(victim, 'precious');
    const dir = await logDir({ 'app.log': 'x'.repeat(5000), 'app.log.2': 'y'.repeat(5000) });
    await fs.symlink(secret, path.join(dir, 'app.log.1'));
    await fs.symlink(victim, path.join(dir, 'app.log.3.gz.tmp'));

    await rotateLogs({ directory: dir, maxBytes: 1000, keep: 5 });

    assert.equal(await fs.readFile(secret, 'utf8'), 'top secret');
    assert.equal(
      await fs.readFile(victim, 'utf8'),
      'precious',
      'the planted temporary name is not written through',
    );
    for (const name of await fs.readdir(dir)) {
      const file = path.join(dir, name);
      if (!(await fs.lstat(file)).isFile() || !name.endsWith('.gz')) continue;
      assert.doesNotMatch(
        gunzipSync(await fs.readFile(file)).toString(),
        /top secret/,
        `${name} holds no secret`,
      );
    }
    assert.equal(gunzipSync(await read(dir, 'app.log.3.gz')).toString(), 'y'.repeat(5000));
  });

  it('refuses directories outside REMEDIATION_LOG_DIRS, and everything when it is empty', async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-outside-'));
    onCleanup(() => fs.rm(outside, { recursive: true, force: true }));
    assert.match(
      await rejection(rotateLogs({ directory: outside, maxBytes: 0 }), 'RemediationRefused'),
      /is not inside REMEDIATION_LOG_DIRS/,
    );
    assert.match(
      await rejection(
        rotateLogs({ directory: path.join(root, '..', path.basename(outside)), maxBytes: 0 }),
        'RemediationRefused',
      ),
      /is not inside REMEDIATION_LOG_DIRS/,
    );
    const link = path.join(root, 'escape');
    await fs.symlink(outside, link);
    assert.match(
      await rejection(rotateLogs({ directory: link, maxBytes: 0 }), 'RemediationRefused'),
      /not inside/,
    );
    const closed = createLogRotationActions({ env: {} }).rotateLogs({ directory: root, maxBytes: 0 });
    assert.match(
      await rejection(closed, 'RemediationRefused'),
      /REMEDIATION_LOG_DIRS is empty on this worker/,
    );
  });

  it('refuses bad input without retrying, naming the field', async () => {
    const bad = (input: unknown) => rejection(rotateLogs(input as never), 'InvalidRemediationInput');
    assert.match(
      await bad({ directory: 'logs', maxBytes: 1 }),
      /rotateLogs: directory: expected an absolute path, got "logs"/,
    );
    assert.match(
      await bad({ directory: root }),
      /rotateLogs: maxBytes: expected an integer of at least 0, got nothing/,
    );
    assert.match(
      await bad({ directory: root, maxBytes: 1, keep: -1 }),
      /keep: expected an integer from 0 to 1000/,
    );
    assert.match(
      await bad({ directory: root, maxBytes: 1, pattern: '../*' }),
      /pattern: expected a file-name glob/,
    );
    assert.match(
      await bad({ directory: path.join(root, 'missing'), maxBytes: 1 }),
      /directory: expected an existing directory/,
    );
  });
});
