import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { apiFixture } from '../api/api-fixture.js';
import { onCleanup } from '../harness/cleanup.js';
import { escalation, incidentApi, settled } from './fixtures/incident-api.js';
import { writeTestPlaybooks } from './fixtures/test-playbooks.js';

const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'dharma-broken-playbooks-'));
onCleanup(() => fs.rm(scratch, { recursive: true, force: true }));
const dir = await writeTestPlaybooks(scratch, { 'broken.yaml': 'id: broken\nversion: one\n' });

const f = await apiFixture({ workers: true, pools: ['ml'], workerEnv: { PLAYBOOKS_DIR: dir } });
const { alert, incident } = await incidentApi(f);

describe('remediation with a playbook directory that does not load', () => {
  it('keeps the incident and escalates it, naming what is wrong with the files', async () => {
    const fingerprint = `${f.prefix}-broken`;
    assert.equal(await alert(fingerprint, { alertname: 'ServiceDown', severity: 'critical' }), 202);
    const escalated = await incident(fingerprint, settled);
    assert.equal(escalated.status, 'escalated');
    assert.match(
      String(escalation(escalated)?.reason),
      /no playbook could be chosen: invalid playbooks:[\s\S]*broken\.yaml: version/,
    );
  });
});
