import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { ensureClusterDir } from '../../../src/launcher/cluster-state.js';

describe('the cluster\'s folder on this machine', () => {
  let home: string;
  const saved = process.env.RAYLAUNCH_HOME;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'rl-cluster-dir-'));
    process.env.RAYLAUNCH_HOME = home;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.RAYLAUNCH_HOME;
    else process.env.RAYLAUNCH_HOME = saved;
    rmSync(home, { recursive: true, force: true });
  });

  const modes = (dir: string) => [statSync(join(dir, '..')).mode & 0o777, statSync(dir).mode & 0o777];

  const CASES: [title: string, steps: { passable: boolean }[], want: number[]][] = [
    ['is private (0700) by default', [{ passable: false }], [0o700, 0o700]],
    ['with worker_user on the process provider, it and clusters/ are passable, not listable (0711)', [{ passable: true }], [0o711, 0o711]],
    ['a later up without worker_user closes it again (clusters/ stays passable)', [{ passable: true }, { passable: false }], [0o711, 0o700]],
    ['a later up with worker_user opens a private one', [{ passable: false }, { passable: true }], [0o711, 0o711]],
  ];
  for (const [title, steps, want] of CASES) {
    it(title, () => {
      let dir = '';
      for (const s of steps) dir = ensureClusterDir('c', s);
      assert.deepEqual(modes(dir), want);
    });
  }
});
