import { constants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { setting } from '../../../lib/config.js';
import type { ActivityDeps } from '../../deps.js';
import { fields, invalidInput, refused } from './input.js';

export interface RotateLogsInput {
  /** Absolute directory; it must lie inside one of REMEDIATION_LOG_DIRS. */
  directory: string;
  /** File-name glob (`*` and `?`), default `*.log`. */
  pattern?: string;
  /** Files larger than this are rotated. */
  maxBytes: number;
  /** Rotated generations kept per file (`x.log.1`, `x.log.2.gz`, ...), default 5. */
  keep?: number;
  /** Gzip generations 2 and older (default true); `.1` stays plain for writers still holding it. */
  compress?: boolean;
}

export interface RotatedFile {
  file: string;
  bytesBefore: number;
  /** Generation files present after the run, newest first. */
  generations: string[];
}

export interface RotateLogsResult {
  directory: string;
  rotated: RotatedFile[];
  compressed: string[];
  deleted: string[];
  bytesFreed: number;
}

const ACTIVITY = 'rotateLogs';
const GENERATION = /\.(\d+)(\.gz)?$/;

/**
 * Frees disk space logrotate-style: each matching file over `maxBytes` becomes `.1` (an empty file takes
 * its place), older generations shift up and are gzipped, those beyond `keep` are deleted. Idempotent:
 * a file already under `maxBytes` is left alone, so a second run changes nothing.
 */
export function createLogRotationActions(deps: Pick<ActivityDeps, 'env'>) {
  return {
    async rotateLogs(input: RotateLogsInput): Promise<RotateLogsResult> {
      const f = fields(ACTIVITY, input);
      const requested = f.string('directory');
      if (!path.isAbsolute(requested)) invalidInput(ACTIVITY, 'directory', 'an absolute path', requested);
      const pattern = f.string('pattern', '*.log');
      if (pattern.includes('/')) invalidInput(ACTIVITY, 'pattern', 'a file-name glob without "/"', pattern);
      const maxBytes = f.int('maxBytes', 0);
      const keep = f.int('keep', 0, 1000, 5);
      const compress = f.bool('compress', true);
      const directory = await allowedDirectory(requested, deps.env);

      const matcher = globToRegExp(pattern);
      const result: RotateLogsResult = { directory, rotated: [], compressed: [], deleted: [], bytesFreed: 0 };
      for (const entry of await fs.readdir(directory, { withFileTypes: true })) {
        if (!entry.isFile() || GENERATION.test(entry.name) || !matcher.test(entry.name)) continue;
        const file = path.join(directory, entry.name);
        const stat = await fs.stat(file);
        if (stat.size <= maxBytes) continue;
        const familyBefore = await familySize(directory, entry.name);
        await rotate(directory, entry.name, keep, stat.mode, result);
        if (compress) await compressGenerations(directory, entry.name, result);
        result.bytesFreed += familyBefore - (await familySize(directory, entry.name));
        const generations = (await generationsOf(directory, entry.name)).map((g) => g.name);
        result.rotated.push({ file, bytesBefore: stat.size, generations });
      }
      return result;
    },
  };
}

async function allowedDirectory(requested: string, env: ActivityDeps['env']): Promise<string> {
  const allowed = setting('REMEDIATION_LOG_DIRS', env)
    .split(',')
    .map((dir) => dir.trim())
    .filter(Boolean);
  if (allowed.length === 0) {
    refused(
      ACTIVITY,
      `directory ${requested} is not allowed: REMEDIATION_LOG_DIRS is empty on this worker, so no directory may be rotated`,
    );
  }
  // Symlinks are resolved on both sides so `allowed/../../etc` or a link out of the tree cannot escape.
  const real = await fs
    .realpath(requested)
    .catch(() => invalidInput(ACTIVITY, 'directory', 'an existing directory', requested));
  if (!(await fs.stat(real)).isDirectory()) invalidInput(ACTIVITY, 'directory', 'a directory', requested);
  for (const dir of allowed) {
    const root = await fs.realpath(dir).catch(() => undefined);
    if (root && (real === root || real.startsWith(root + path.sep))) return real;
  }
  return refused(
    ACTIVITY,
    `directory ${requested} is not inside REMEDIATION_LOG_DIRS (${allowed.join(', ')}) on this worker`,
  );
}

function globToRegExp(glob: string): RegExp {
  const source = glob
    .split('')
    .map((ch) => (ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** Creates a file that must not exist yet: O_EXCL also refuses a link at that name. */
const O_CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

interface Generation {
  name: string;
  n: number;
  gz: boolean;
}

/**
 * The file's older generations, regular files only: a link planted among them (`app.log.1 -> /etc/shadow`)
 * is never read, compressed or deleted through; renaming a generation onto its name replaces the link.
 */
async function generationsOf(directory: string, base: string): Promise<Generation[]> {
  const generations: Generation[] = [];
  for (const entry of await fs.readdir(directory, { withFileTypes: true })) {
    const { name } = entry;
    if (!entry.isFile() || !name.startsWith(`${base}.`)) continue;
    const match = GENERATION.exec(name.slice(base.length));
    if (match && match.index === 0) generations.push({ name, n: Number(match[1]), gz: Boolean(match[2]) });
  }
  return generations.sort((a, b) => a.n - b.n);
}

/** Opens an existing regular file without following a link in its place. */
async function openPlainFile(file: string, flags: number): Promise<fs.FileHandle> {
  const handle = await fs.open(file, flags | constants.O_NOFOLLOW);
  if (!(await handle.stat()).isFile()) {
    await handle.close();
    throw new Error(`${file} is not a regular file`);
  }
  return handle;
}

async function familySize(directory: string, base: string): Promise<number> {
  const names = [base, ...(await generationsOf(directory, base)).map((g) => g.name)];
  let total = 0;
  for (const name of names)
    total += (await fs.lstat(path.join(directory, name)).catch(() => ({ size: 0 }))).size;
  return total;
}

async function rotate(directory: string, base: string, keep: number, mode: number, result: RotateLogsResult) {
  // Highest generation first, so every rename lands on a free name.
  for (const g of (await generationsOf(directory, base)).reverse()) {
    const from = path.join(directory, g.name);
    if (g.n + 1 > keep) {
      await fs.rm(from, { force: true });
      result.deleted.push(from);
    } else {
      await fs.rename(from, path.join(directory, `${base}.${g.n + 1}${g.gz ? '.gz' : ''}`));
    }
  }
  const file = path.join(directory, base);
  if (keep === 0) {
    const handle = await openPlainFile(file, constants.O_WRONLY);
    await handle.truncate(0).finally(() => handle.close());
    return;
  }
  await fs.rename(file, path.join(directory, `${base}.1`));
  // Writers that reopen by name (or append per line) find the file again, with its permissions; one that
  // already did (or anything else now at that name) is left as it is.
  const created = O_CREATE_NEW | constants.O_APPEND;
  await fs.open(file, created, mode).then(
    (handle) => handle.close(),
    (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    },
  );
}

async function compressGenerations(directory: string, base: string, result: RotateLogsResult) {
  for (const g of await generationsOf(directory, base)) {
    if (g.gz || g.n < 2) continue;
    const from = path.join(directory, g.name);
    const to = `${from}.gz`;
    // Written under a temporary name and renamed, so a crash never leaves a truncated .gz behind. The
    // temporary file is made new (a link left at its name is removed, never written through) and gets
    // the permissions of the log it compresses.
    const source = await openPlainFile(from, constants.O_RDONLY);
    try {
      await fs.rm(`${to}.tmp`, { force: true });
      const target = await fs.open(`${to}.tmp`, O_CREATE_NEW, (await source.stat()).mode & 0o777);
      await pipeline(source.createReadStream(), createGzip(), target.createWriteStream());
    } finally {
      await source.close().catch(() => undefined);
    }
    await fs.rename(`${to}.tmp`, to);
    await fs.rm(from);
    result.compressed.push(to);
  }
}
