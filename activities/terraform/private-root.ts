import { lstat, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

let fallback: Promise<string> | undefined;

/**
 * A directory under the system temp dir that only this user can write, shared by this user's processes:
 * `<tmp>/<name>-<uid>`, made 0700. Checked on every call, because what is in it is trusted (tofu runs the
 * provider packages it links to): a temp cleaner may have removed it, and on a shared host another user may
 * have made one of that name first. Then this process uses a private directory of its own instead, and
 * shares nothing.
 */
export async function privateTempRoot(name: string): Promise<string> {
  const uid = process.getuid?.();
  const root = path.join(tmpdir(), uid === undefined ? name : `${name}-${uid}`);
  await mkdir(root, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const info = await lstat(root);
  const ours = uid === undefined || info.uid === uid;
  if (info.isDirectory() && ours && (info.mode & 0o022) === 0) return root;
  fallback ??= mkdtemp(path.join(tmpdir(), `${name}-`));
  return fallback;
}
