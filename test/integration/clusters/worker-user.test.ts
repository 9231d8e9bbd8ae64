// raylaunch.worker_user on a process cluster run as root: worker processes run as `nobody` (from /etc/passwd, no
// user is added), get what their job needs (its folder, its objects in /dev/shm) and none of the node's files;
// and `up` refuses, before starting anything, a cluster whose folder `nobody` cannot reach.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';

const root = process.getuid?.() === 0;
const WORKER_USER = 'nobody';

/** The uid of a user, as /etc/passwd has it. */
function uidOf(name: string): number {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  const uid = Number(line?.split(':')[2]);
  if (!Number.isSafeInteger(uid)) throw new Error(`no user ${name} in /etc/passwd`);
  return uid;
}

const config = (name: string) => TestCluster.processConfig(name, { headCpus: 0, workers: 1, extra: `raylaunch: {worker_user: ${WORKER_USER}}` });

describe('raylaunch.worker_user on a process cluster (run as root)', function () {
  this.timeout(180_000);
  const name = `wu${process.pid}`;
  const cluster = new TestCluster(name, config(name));

  before(async function () {
    if (!root) this.skip(); // only root starts processes as another user
    // RAYLAUNCH_HOME in a folder others may pass through (mkdtemp makes it 0700), as the README says to.
    mkdirSync(cluster.home, { recursive: true });
    for (const d of [cluster.dir, cluster.home]) chmodSync(d, 0o711);
    await cluster.start();
  });
  after(async () => { if (root) await cluster.stop(); });

  it('a task runs as the worker user, reads its working dir and a large object from the driver, and is refused the node\'s 0600 files', async () => {
    const wd = join(cluster.dir, 'wd');
    mkdirSync(wd);
    writeFileSync(join(wd, 'data.txt'), 'from the working dir\n');
    const stateDir = join(cluster.home, 'clusters', name);
    const r = await cluster.submit(cluster.writeFixture('worker-user/probe.ts'), ['--working-dir', wd, '--', stateDir]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const line = r.stdout.split('\n').find((l) => l.startsWith('PROBED '));
    assert.ok(line, r.stdout);
    const probed = JSON.parse(line.slice('PROBED '.length)) as { present: boolean; results: { uid: number; data: string; big: [number, boolean]; node: [string, string][] }[] };
    assert.equal(probed.present, true, 'the node\'s files are there (the driver, as root, sees them)');
    for (const t of probed.results) {
      assert.deepEqual({ uid: t.uid, data: t.data, big: t.big, node: t.node.map(([, got]) => got) },
        { uid: uidOf(WORKER_USER), data: 'from the working dir', big: [2 * 1024 * 1024, true], node: ['EACCES', 'EACCES'] });
    }
  });
});

describe('raylaunch.worker_user: up refuses a cluster folder the worker user cannot reach', function () {
  this.timeout(120_000);
  const name = `wuclosed${process.pid}`;
  // RAYLAUNCH_HOME below a mkdtemp folder, 0700: closed to everyone else.
  const cluster = new TestCluster(name, config(name));
  after(async () => { if (root) await cluster.stop(); });

  it('up fails before launching anything, naming the closed folder, the key and what to do', async function () {
    if (!root) this.skip();
    const r = await cluster.cli(['up', cluster.configFile, '-y']);
    assert.equal(r.code, 1, `${r.stdout}\n${r.stderr}`);
    assert.ok(r.stderr.includes(`raylaunch.worker_user "${WORKER_USER}" cannot reach the cluster's folder ${join(cluster.home, 'clusters', name)}`), r.stderr);
    assert.ok(r.stderr.includes(`${cluster.dir} (mode 700)`), r.stderr);
    assert.match(r.stderr, /hint: .*chmod o\+x .*RAYLAUNCH_HOME/);
    assert.deepEqual(cluster.processes(), [], 'nothing was started');
  });
});
