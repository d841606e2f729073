import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { privateTempRoot } from '../../activities/terraform/private-root.js';
import { onCleanup } from '../harness/cleanup.js';

/** The shared tofu init cache lives where only its user can write: tofu runs what it links to. */
const uid = process.getuid!();
const name = () => `dharma-root-test-${randomUUID().slice(0, 8)}`;
const shared = (n: string) => path.join(tmpdir(), `${n}-${uid}`);

const removedLater = (dir: string) => onCleanup(() => rm(dir, { recursive: true, force: true }));

async function assertPrivate(dir: string): Promise<void> {
  const info = await lstat(dir);
  assert.ok(info.isDirectory(), `${dir} is a directory`);
  assert.equal(info.uid, uid);
  assert.equal(info.mode & 0o022, 0, `${dir} is writable by its owner only`);
}

describe('privateTempRoot', () => {
  it('makes <tmp>/<name>-<uid> writable by its user only, and answers it again while it stays so', async () => {
    const n = name();
    removedLater(shared(n));
    const root = await privateTempRoot(n);
    assert.equal(root, shared(n));
    await assertPrivate(root);
    assert.equal(await privateTempRoot(n), root);

    await rm(root, { recursive: true });
    assert.equal(await privateTempRoot(n), root, 'made again after a temp cleaner removed it');
    await assertPrivate(root);
  });

  it('does not use a directory of that name that others can write, that another user owns, or a link', async () => {
    const worldWritable = name();
    await mkdir(shared(worldWritable));
    removedLater(shared(worldWritable));
    await chmod(shared(worldWritable), 0o777);

    const foreign = name();
    await mkdir(shared(foreign), { mode: 0o700 });
    removedLater(shared(foreign));
    await chown(shared(foreign), 65534, 65534);

    const linked = name();
    const target = await mkdtemp(path.join(tmpdir(), 'dharma-root-target-'));
    removedLater(target);
    await symlink(target, shared(linked));
    removedLater(shared(linked));

    for (const n of [worldWritable, foreign, linked]) {
      const root = await privateTempRoot(n);
      assert.notEqual(root, shared(n), `${shared(n)} is not used`);
      assert.ok(!root.startsWith(`${shared(n)}${path.sep}`));
      await assertPrivate(root);
    }
  });
});
