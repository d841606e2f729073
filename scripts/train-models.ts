/**
 * Retrains Dharma's models: installs the pinned Python packages (models/requirements.txt) into the tools
 * venv, runs models/change-risk/train.py, and says whether model.onnx changed. Training is seeded, so
 * with the pinned versions it reproduces the committed model byte for byte.
 * Usage: tsx scripts/train-models.ts [--no-install]
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { toolsDir } from '../lib/config.js';
import { packageRoot } from '../lib/package-root.js';
import { VENV_DIR } from './toolchain.js';

const root = packageRoot();
const bin = path.join(toolsDir(), VENV_DIR, 'bin');
const model = path.join(root, 'models', 'change-risk', 'model.onnx');

function step(label: string, command: string, args: string[]): void {
  console.log(`${label}: ${[command, ...args].map((a) => path.relative(root, a) || a).join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const sha = () =>
  existsSync(model) ? createHash('sha256').update(readFileSync(model)).digest('hex') : 'none';

if (!existsSync(path.join(bin, 'python'))) {
  console.error(`no Python venv at ${path.dirname(bin)}: run \`npm run setup\` first`);
  process.exit(1);
}
const before = sha();
if (!process.argv.includes('--no-install')) {
  step('install', path.join(bin, 'pip'), [
    'install',
    '--disable-pip-version-check',
    '--no-input',
    '--quiet',
    '-r',
    path.join(root, 'models', 'requirements.txt'),
  ]);
}
step('train change-risk', path.join(bin, 'python'), [path.join(root, 'models', 'change-risk', 'train.py')]);
const after = sha();
console.log(
  after === before ? `model.onnx unchanged (sha256 ${after})` : `model.onnx changed: ${before} -> ${after}`,
);
