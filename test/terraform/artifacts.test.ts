import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ArtifactNotFound,
  ArtifactTooLarge,
  artifactRef,
  getArtifact,
  getArtifactText,
  putArtifact,
} from '../../lib/artifacts/store.js';
import { freshDatabase } from '../db/fresh-database.js';
import { testServices } from '../harness/services.js';

const { db } = await freshDatabase(await testServices());

describe('artifact store (PostgreSQL)', () => {
  it('addresses content by its SHA-256: storing the same bytes twice gives one row and one ref', async () => {
    const content = JSON.stringify({ resource_changes: [] });
    const first = await putArtifact(db, { kind: 'plan-json', content, mediaType: 'application/json' });
    const second = await putArtifact(db, { kind: 'plan-json', content, mediaType: 'application/json' });
    assert.equal(first, second);
    assert.equal(first, artifactRef(Buffer.from(content)));
    assert.match(first, /^art_[0-9a-f]{64}$/);
    const { rows } = await db.query('SELECT count(*)::int AS n FROM artifacts WHERE ref = $1', [first]);
    assert.equal(rows[0]?.n, 1);
    assert.equal(await getArtifactText(db, first), content);
  });

  it('keeps binary content byte for byte', async () => {
    const content = Buffer.from([0, 1, 2, 255, 254, 0, 10]);
    const ref = await putArtifact(db, { kind: 'plan', content, mediaType: 'application/octet-stream' });
    const stored = await getArtifact(db, ref);
    assert.deepEqual(stored.content, content);
    assert.equal(stored.kind, 'plan');
    assert.equal(stored.mediaType, 'application/octet-stream');
  });

  it('refuses content over the size limit, naming the kind, the size and the setting', async () => {
    await assert.rejects(
      putArtifact(
        db,
        { kind: 'tofu-log', content: 'x'.repeat(11), mediaType: 'text/plain' },
        { maxBytes: 10 },
      ),
      (error: unknown) =>
        error instanceof ArtifactTooLarge &&
        error.message ===
          'artifact of kind "tofu-log" is 11 bytes, over the limit of 10 bytes (ARTIFACT_MAX_BYTES)',
    );
  });

  it('reports an unknown ref by name', async () => {
    await assert.rejects(getArtifact(db, 'art_missing'), ArtifactNotFound);
  });
});
