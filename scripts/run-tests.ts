/**
 * `npm test` runner: starts one real Temporal dev server and one real PostgreSQL for the whole run,
 * hands them to every test file through the environment, runs node's test runner, and tears down.
 * Usage: tsx scripts/run-tests.ts [file or folder ...]   (default: test/)
 */
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { servicesEnv, startServices } from '../test/harness/services.js';

function testFiles(target: string): string[] {
  const stats = statSync(target, { throwIfNoEntry: false });
  if (!stats) {
    console.error(
      `run-tests: ${target}: no such file or folder (expected test files or folders below test/)`,
    );
    process.exit(2);
  }
  if (stats.isFile()) return [target];
  return readdirSync(target, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) return testFiles(full);
    return entry.name.endsWith('.test.ts') ? [full] : [];
  });
}

const targets = process.argv.slice(2);
const files = (targets.length > 0 ? targets : ['test']).flatMap(testFiles).sort();
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const started = Date.now();
console.log(`starting Temporal dev server and PostgreSQL for ${files.length} test files...`);
const services = await startServices();
console.log(
  `services ready in ${((Date.now() - started) / 1000).toFixed(1)}s (Temporal ${services.temporalAddress})`,
);

const concurrency = process.env.TEST_CONCURRENCY ?? '2';
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    // A file whose tests have all finished must not hang the run on a handle something forgot to close.
    '--test-force-exit',
    `--test-concurrency=${concurrency}`,
    '--test-reporter=spec',
    ...files,
  ],
  { stdio: 'inherit', env: { ...process.env, ...servicesEnv(services) } },
);
const stopChild = () => child.kill('SIGTERM');
process.on('SIGINT', stopChild);
process.on('SIGTERM', stopChild);
const code = await new Promise<number>((resolve) =>
  child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))),
);
await services.stop();
console.log(`tests finished in ${((Date.now() - started) / 1000).toFixed(1)}s`);
process.exit(code);
