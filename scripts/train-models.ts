/**
 * Retrains Dharma's models: installs the pinned Python packages (models/requirements.txt) into the tools
 * venv, runs each model's train.py (change-risk, alert-classifier, metric-anomaly), and says whether its
 * model.onnx changed. Training is seeded, so
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
const MODELS = ['change-risk', 'alert-classifier', 'metric-anomaly'];
const modelFile = (name: string) => path.join(root, 'models', name, 'model.onnx');

function step(label: string, command: string, args: string[]): void {
  console.log(`${label}: ${[command, ...args].map((a) => path.relative(root, a) || a).join(' ')}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`${label} failed (exit ${result.status ?? result.signal})`);
    process.exit(1);
  }
}

const sha = (model: string) =>
  existsSync(model) ? createHash('sha256').update(readFileSync(model)).digest('hex') : 'none';

if (!existsSync(path.join(bin, 'python'))) {
  console.error(`no Python venv at ${path.dirname(bin)}: run \`npm run setup\` first`);
  process.exit(1);
}
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
for (const name of MODELS) {
  const before = sha(modelFile(name));
  step(`train ${name}`, path.join(bin, 'python'), [path.join(root, 'models', name, 'train.py')]);
  const after = sha(modelFile(name));
  console.log(
    after === before
      ? `${name}/model.onnx unchanged (sha256 ${after})`
      : `${name}/model.onnx changed: ${before} -> ${after}`,
  );
}
