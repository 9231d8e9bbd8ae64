import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { WorkerUserUnusableError } from '../../../src/launcher/errors.js';
import { checkWorkerUserReach, type WorkerRuntime } from '../../../src/launcher/worker-user-reach.js';

const root = process.getuid?.() === 0;

/**
 * A RAYLAUNCH_HOME, its cluster folder and a runtime (package.json, the worker process's entry), each folder and
 * file with the mode a case gives it.
 */
function lay(top: string, modes: { home?: number; runtime?: number; entry?: number }): { cluster: string; runtime: WorkerRuntime } {
  const home = join(top, 'home');
  const cluster = join(home, 'clusters', 'c');
  mkdirSync(cluster, { recursive: true, mode: 0o711 });
  for (const d of [join(home, 'clusters'), cluster]) chmodSync(d, 0o711);
  chmodSync(home, modes.home ?? 0o711);
  const rt = join(top, 'rt');
  mkdirSync(join(rt, 'dist'), { recursive: true });
  chmodSync(rt, modes.runtime ?? 0o755);
  writeFileSync(join(rt, 'package.json'), '{}', { mode: 0o644 });
  writeFileSync(join(rt, 'dist', 'worker-process.js'), '', { mode: modes.entry ?? 0o644 });
  chmodSync(join(rt, 'dist', 'worker-process.js'), modes.entry ?? 0o644);
  return { cluster, runtime: { root: rt, entry: join(rt, 'dist', 'worker-process.js') } };
}

describe('up on the process provider: can raylaunch.worker_user reach its nodes\' folders and the runtime?', () => {
  let top: string;
  beforeEach(function () {
    if (!root) this.skip(); // worker_user needs root; the check looks the user up as the agent would
    top = mkdtempSync(join(tmpdir(), 'rl-wu-reach-'));
    chmodSync(top, 0o711);
  });
  afterEach(() => { if (top) rmSync(top, { recursive: true, force: true }); });

  const CASES: [title: string, user: string, modes: Parameters<typeof lay>[1], refused: ((top: string) => RegExp) | undefined][] = [
    ['every folder passable and the runtime readable: up goes on', 'nobody', {}, undefined],
    ['RAYLAUNCH_HOME closed (0700): refused, naming it, the key and what to do', 'nobody', { home: 0o700 },
      (t) => new RegExp(`^raylaunch\\.worker_user "nobody" cannot reach the cluster's folder ${t}/home/clusters/c, where its nodes' folders are: ${t}/home \\(mode 700\\) is closed to other users$`)],
    ['the runtime\'s folder closed (0700): refused, naming it', 'nobody', { runtime: 0o700 },
      (t) => new RegExp(`^raylaunch\\.worker_user "nobody" cannot read the runtime its worker processes load, ${t}/rt: ${t}/rt \\(mode 700\\) closed to other users$`)],
    ['the worker process\'s entry unreadable (0600): refused, naming it', 'nobody', { entry: 0o600 },
      (t) => new RegExp(`cannot read the runtime .*: ${t}/rt/dist/worker-process\\.js \\(mode 600\\) unreadable to them$`)],
    ['a user this host does not have: refused, naming it', 'no-such-user-rl', {}, () => /^raylaunch\.worker_user "no-such-user-rl" is no user on this host/],
  ];
  for (const [title, user, modes, refused] of CASES) {
    it(title, () => {
      const { cluster, runtime } = lay(top, modes);
      if (!refused) return checkWorkerUserReach(user, cluster, runtime);
      assert.throws(() => checkWorkerUserReach(user, cluster, runtime), (e: unknown) => e instanceof WorkerUserUnusableError && refused(top).test(e.message) && e.hint !== undefined);
    });
  }

  it('the hint says how to open each closed folder, or where else to keep RAYLAUNCH_HOME', () => {
    const { cluster, runtime } = lay(top, { home: 0o700 });
    assert.throws(() => checkWorkerUserReach('nobody', cluster, runtime), (e: unknown) => e instanceof WorkerUserUnusableError
      && e.hint === `let others pass through: chmod o+x ${top}/home (they may then pass, not list); or set RAYLAUNCH_HOME to a folder they can pass through (the default ~/.raylaunch is in your home folder, closed when that is /root)`);
  });
});
