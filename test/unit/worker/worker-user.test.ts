import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'mocha';
import { assertReachable, closedTo, giveTo, lookupWorkerUser, readableBy, WorkerUserError } from '../../../src/worker/worker-user.js';
import { ObjectFiles } from '../../../src/worker/object-files.js';

const root = process.getuid?.() === 0;

describe('raylaunch.worker_user: worker processes as an unprivileged user', () => {
  const base = mkdtempSync(join(tmpdir(), 'rl-wu-'));
  after(() => rmSync(base, { recursive: true, force: true }));

  const REFUSED: [title: string, name: string, uid: number, reason: RegExp][] = [
    ['an agent that is not root', 'nobody', 1000, /needs the agent to run as root \(it runs as uid 1000\)/],
    ['a user the host does not have', 'no-such-user-rl', 0, /"no-such-user-rl" is no user on this host/],
    ['root itself', 'root', 0, /is root: name an unprivileged user/],
  ];
  for (const [title, name, uid, reason] of REFUSED) {
    it(`is refused for ${title}`, () => {
      assert.throws(() => lookupWorkerUser(name, uid), (e: unknown) => e instanceof WorkerUserError && reason.test(e.message));
    });
  }

  it('a process started as the worker user reads the job folder and the objects handed to it, and not the agent\'s files', function () {
    if (!root) this.skip(); // only root starts processes as another user
    const user = lookupWorkerUser('nobody', 0);
    chmodSync(base, 0o711);
    const agentFile = join(base, 'token');
    writeFileSync(agentFile, 'secret', { mode: 0o600 });
    const job = join(base, 'jobs', 'job-1');
    mkdirSync(job, { recursive: true, mode: 0o700 });
    chmodSync(join(base, 'jobs'), 0o711);
    writeFileSync(join(job, 'job.mjs'), 'export {};\n', { mode: 0o600 });
    giveTo(job, user);
    const shm = new ObjectFiles(join(base, 'shm'), user);
    const object = shm.write('o1', new Uint8Array([1, 2, 3]));
    chmodSync(join(base, 'shm'), 0o711); // as /dev/shm: passed through by everyone
    const script = `const fs = require('node:fs'); const r = (f) => { try { fs.readFileSync(f); return 'read'; } catch (e) { return e.code; } };
      const rm = (f) => { try { fs.unlinkSync(f); return 'removed'; } catch (e) { return e.code; } };
      console.log(JSON.stringify([process.getuid(), r(${JSON.stringify(join(job, 'job.mjs'))}), r(${JSON.stringify(object)}), rm(${JSON.stringify(object)}), r(${JSON.stringify(agentFile)})]));`;
    const out = execFileSync(process.execPath, ['-e', script], { uid: user.uid, gid: user.gid, cwd: job, encoding: 'utf8' });
    assert.deepEqual(JSON.parse(out), [user.uid, 'read', 'read', 'removed', 'EACCES']);
    shm.remove();
  });
});

describe('worker_user: the node folder must be reachable by that user', () => {
  const CASES: [string, number, RegExp | undefined][] = [
    ['a folder others may pass through (0711) is reachable', 0o711, undefined],
    ['a folder closed to others (0700) is refused, naming it and what to do', 0o700, /cannot reach the node's folder .*: .*\/clusters \(mode 700\) is closed to other users; let others pass through every folder above it \(chmod o\+x\), or set RAYLAUNCH_HOME/],
  ];
  for (const [title, mode, want] of CASES) {
    it(title, () => {
      const top = mkdtempSync(join(tmpdir(), 'rl-reach-'));
      try {
        chmodSync(top, 0o711);
        const dir = join(top, 'clusters', 'c');
        mkdirSync(dir, { recursive: true });
        chmodSync(join(top, 'clusters'), mode);
        chmodSync(dir, 0o711);
        const user = { name: 'nobody', uid: 65534, gid: 65534 };
        if (want) assert.throws(() => assertReachable(dir, user), want);
        else assertReachable(dir, user);
      } finally {
        rmSync(top, { recursive: true, force: true });
      }
    });
  }
});

describe('worker_user: which folders it passes and which files it reads', () => {
  const user = { name: 'nobody', uid: 65534, gid: 65534 };
  const CASES: [title: string, mode: number, uid: number, passes: boolean, reads: boolean][] = [
    ['root\'s, open to others (0755 / 0644)', 0o755, 0, true, true],
    ['root\'s, passable but not listable (0711)', 0o711, 0, true, false],
    ['root\'s, private (0700 / 0600)', 0o700, 0, false, false],
    ['the user\'s own, private to it (0700)', 0o700, user.uid, true, true],
    ['the user\'s own, closed even to it (0077)', 0o077, user.uid, false, false],
  ];
  for (const [title, mode, uid, passes, reads] of CASES) {
    it(`${title}: ${passes ? 'passed' : 'not passed'}, ${reads ? 'read' : 'not read'}`, () => {
      const facts = { path: '/x', mode, uid };
      assert.deepEqual([closedTo([facts], user).length === 0, readableBy(facts, user)], [passes, reads]);
    });
  }
});
