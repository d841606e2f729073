import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MAIN = path.join(ROOT, 'cli', 'main.ts');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `dharma <args>` as a child process, the way a user does. The environment is the given one on top
 * of a minimal base, so settings of the machine running the tests (API_URL, DATABASE_URL, ...) never leak in.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  timeoutMs = 120_000,
): Promise<CliResult> {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', USER: 'tester' };
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', MAIN, ...args],
      { cwd: ROOT, env: { ...base, ...env }, timeout: timeoutMs, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `runCli` with `env`, asserting the exit code (0 unless told), and naming the command and its output if it differs. */
export function cliExpecting(env: Record<string, string>) {
  return async (args: string[], expectCode = 0): Promise<CliResult> => {
    const result = await runCli(args, env);
    assert.equal(
      result.code,
      expectCode,
      `dharma ${args.join(' ')}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`,
    );
    return result;
  };
}
