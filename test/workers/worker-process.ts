import { spawn, type ChildProcess } from 'node:child_process';
import { after } from 'node:test';
import { packageRoot } from '../../lib/package-root.js';

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process printed so far (for assertion messages). */
  output(): string;
  /** Resolves with the exit code or signal. */
  exited: Promise<number | NodeJS.Signals>;
}

/**
 * `dharma worker --pool <pools>` as a real child process (through tsx, from the sources), resolved once
 * its workers poll. Killed after the test file at the latest.
 */
export async function startWorkerProcess(pools: string, env: Record<string, string>): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/main.ts', 'worker', '--pool', pools], {
    cwd: packageRoot(),
    env: { ...process.env, METRICS_PORT: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code ?? 0)),
  );
  after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('"msg":"workers running"')) resolve();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((how) => reject(new Error(`worker process exited (${how}) before running:\n${output}`)));
  });
  return { child, output: () => output, exited };
}
