import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'mocha';
import { openStore } from '../../../../src/head/gcs/open.js';

describe('GCS sqlite store: its files', () => {
  it('the store file and its journal are the head\'s alone (0600), from before the first write', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'raylaunch-gcs-mode-'));
    try {
      const s = await openStore('sqlite', { clusterName: 'c', stateDir });
      await s.table<{ env: Record<string, string> }>('jobs').update('j', () => ({ env: { TOKEN: 'x' } }));
      await s.close();
      for (const f of ['gcs.sqlite', 'gcs.sqlite-journal']) assert.equal(statSync(join(stateDir, f)).mode & 0o777, 0o600, f);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
});
