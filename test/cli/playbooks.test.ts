import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { loadPlaybooks } from '../../lib/playbooks/load.js';
import { runCli } from './cli-process.js';

const dir = await mkdtemp(path.join(tmpdir(), 'dharma-cli-playbooks-'));
after(() => rm(dir, { recursive: true, force: true }));

describe('dharma playbooks validate', () => {
  it('lists every shipped playbook with its version and match rules, and exits 0', async () => {
    const shipped = await loadPlaybooks('playbooks');
    const result = await runCli(['playbooks', 'validate']);
    assert.equal(result.code, 0, result.stderr);
    for (const p of shipped) assert.match(result.stdout, new RegExp(`^${p.id}@v${p.version} `, 'm'));
    assert.match(result.stdout, /^cpu-high@v1 +alerts HighCpuUsage, .*pool=~"\.\+"; classifier cause/m);
    assert.match(result.stdout, new RegExp(`^${shipped.length} playbooks valid in `, 'm'));

    const viaSetting = await runCli(['playbooks', 'validate'], { PLAYBOOKS_DIR: dir });
    assert.equal(viaSetting.code, 0, viaSetting.stderr);
    assert.match(viaSetting.stdout, new RegExp(`^0 playbooks valid in ${dir}$`, 'm'));
  });

  it('prints every problem as file: field: message and exits 1 without a stack trace', async () => {
    const broken = path.join(dir, 'broken');
    await cp('playbooks', broken, { recursive: true });
    await writeFile(
      path.join(broken, 'zz-typo.yaml'),
      'id: Bad_Id\nversion: 0\ndescription: x\nmatch: { alertNames: [X] }\nrisk: extreme\n',
    );
    const result = await runCli(['playbooks', 'validate', broken]);
    assert.equal(result.code, 1, result.stdout);
    assert.equal(result.stdout, '');
    const file = path.join(broken, 'zz-typo.yaml');
    for (const expected of [
      `${file}: id: `,
      `${file}: version: `,
      `${file}: risk: `,
      `${file}: steps: is required`,
    ])
      assert.ok(result.stderr.includes(expected), `reports ${expected}\n${result.stderr}`);
    assert.match(result.stderr, /error: \d+ problems in .*; no playbook is loaded\n$/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');

    const missing = await runCli(['playbooks', 'validate', path.join(dir, 'nope')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope: no such directory\nerror: 1 problem in /);
  });
});

describe('help of the incidents and playbooks commands', () => {
  it('prints usage with examples and exits 0', async () => {
    const commands = [
      ['incidents'],
      ['incidents', 'list'],
      ['incidents', 'show'],
      ['playbooks'],
      ['playbooks', 'validate'],
    ];
    const results = await Promise.all(commands.map((command) => runCli([...command, '--help'])));
    results.forEach((result, i) => {
      const name = `dharma ${commands[i]!.join(' ')}`;
      assert.equal(result.code, 0, `${name} --help: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`Usage: ${name}`), name);
      assert.match(result.stdout, /Examples:\n {2}\$ .*dharma /, `${name} --help shows examples`);
    });
  });
});
