// The files that hand large objects to worker processes: in a folder no other local user can have made or can
// read, created new (never through a link), and folders of killed agents removed only when they are ours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { ObjectFiles, processAlive, removeStaleFolders } from '../../../src/worker/object-files.js';

const NOBODY = 65534;
/** A pid no process has: one that just exited. */
const deadPid = (): number => {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
};

describe('object files in shared memory', () => {
  let base = '';
  before(() => {
    base = mkdtempSync(join(tmpdir(), 'rl-shm-'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('each agent writes into a folder of its own, random, ours and 0700; files are 0600', () => {
    const a = new ObjectFiles(base);
    const b = new ObjectFiles(base);
    const fa = a.write('x.0', Buffer.from('one'));
    const fb = b.write('x.0', Buffer.from('two'));
    try {
      assert.notEqual(dirname(fa), dirname(fb), 'two agents of the same pid and node id get different folders');
      assert.match(basename(dirname(fa)), new RegExp(`^raylaunch-${process.pid}-[A-Za-z0-9]{6}$`));
      const folder = lstatSync(dirname(fa));
      assert.deepEqual([folder.isDirectory(), folder.uid, folder.mode & 0o777], [true, process.getuid?.(), 0o700]);
      assert.equal(statSync(fa).mode & 0o777, 0o600);
      assert.deepEqual([readFileSync(fa, 'utf8'), readFileSync(fb, 'utf8')], ['one', 'two']);
    } finally {
      a.remove();
      b.remove();
    }
    assert.equal(existsSync(dirname(fa)), false, 'removed with its agent');
  });

  const PLANTED: [string, (path: string, target: string) => void][] = [
    ['a symlink', (path, target) => symlinkSync(target, path)],
    ['a file', (path) => writeFileSync(path, 'planted')],
  ];
  for (const [what, plant] of PLANTED) {
    it(`a name already taken by ${what} is refused, and nothing is written through it`, () => {
      const files = new ObjectFiles(base);
      const first = files.write('first.0', Buffer.from('x'));
      const target = join(base, `target-${what.replace(' ', '-')}`);
      writeFileSync(target, '');
      plant(join(dirname(first), 'taken.1'), target);
      try {
        assert.throws(() => files.write('taken.1', Buffer.alloc(2 * 1024 * 1024, 7)), /EEXIST/);
        assert.equal(readFileSync(target, 'utf8'), '');
      } finally {
        files.remove();
      }
    });
  }

  describe('folders of agents that are gone', () => {
    const ours = (name: string) => {
      mkdirSync(join(base, name), { mode: 0o700 });
      writeFileSync(join(base, name, 'obj.0'), 'left over');
      return name;
    };
    const nobodys = (name: string) => {
      ours(name);
      chownSync(join(base, name), NOBODY, NOBODY);
      return name;
    };
    const dead = deadPid();
    const CASES: [string, () => string, boolean][] = [
      ['ours, of a dead agent', () => ours(`raylaunch-${dead}-aB3dE9`), true],
      ['ours, of a live process', () => ours(`raylaunch-${process.ppid}-xY7zQ1`), false],
      ['ours, of this very process', () => ours(`raylaunch-${process.pid}-mM0nN1`), false],
      ['another user\'s, of a dead pid', () => nobodys(`raylaunch-${dead}-nObOdY`), false],
      ['a link to a folder of ours', () => { const t = ours('kept-target'); symlinkSync(join(base, t), join(base, `raylaunch-${dead}-LiNk01`)); return `raylaunch-${dead}-LiNk01`; }, false],
      ['a file, not a folder', () => { writeFileSync(join(base, `raylaunch-${dead}-FiLe01`), ''); return `raylaunch-${dead}-FiLe01`; }, false],
      ['named otherwise (the old naming, node id and pid)', () => ours(`raylaunch-node-1-${dead}`), false],
    ];
    for (const [what, make, removed] of CASES) {
      it(`${what}: ${removed ? 'removed' : 'kept'}`, () => {
        const name = make();
        const gone = removeStaleFolders(base);
        assert.equal(gone.includes(join(base, name)), removed);
        assert.equal(existsSync(join(base, name)), !removed);
        assert.equal(existsSync(join(base, 'kept-target', 'obj.0')) || !what.includes('link'), true, 'a link is never followed');
      });
    }

    it('with raylaunch.worker_user, a dead agent\'s folder given to that user is removed (as that user); a live agent\'s is kept', function () {
      if (process.getuid?.() !== 0) this.skip(); // only root gives folders to another user
      // Like /dev/shm: anyone may make a folder here, and remove only their own.
      const shm = mkdtempSync(join(tmpdir(), 'rl-shm-given-'));
      chmodSync(shm, 0o1777);
      try {
        const given = (name: string) => {
          const files = join(shm, name);
          mkdirSync(files, { mode: 0o700 });
          writeFileSync(join(files, 'obj.0'), 'left over');
          chownSync(join(files, 'obj.0'), NOBODY, NOBODY);
          chownSync(files, NOBODY, NOBODY);
          return files;
        };
        const stale = given(`raylaunch-${dead}-GiVeN1`);
        const live = given(`raylaunch-${process.ppid}-GiVeN2`);
        assert.deepEqual(removeStaleFolders(shm), [], 'without the worker user, another user\'s folder is not ours');
        assert.deepEqual(removeStaleFolders(shm, processAlive, { uid: NOBODY, gid: NOBODY }), [stale]);
        assert.deepEqual([existsSync(stale), existsSync(live)], [false, true]);
      } finally {
        rmSync(shm, { recursive: true, force: true });
      }
    });

    it('processAlive: this process is, a finished one is not', () => {
      assert.deepEqual([processAlive(process.pid), processAlive(dead)], [true, false]);
    });
  });
});
