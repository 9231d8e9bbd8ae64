// rsync-up and rsync-down on the process provider: the nodes' folders are on this machine (a relative node-side
// path is under the node's folder, <RAYLAUNCH_HOME>/clusters/<name>/node-data/<node id>, where exec runs).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';
import { SYNC_TREE_LANDS, writeSyncTree } from '../../helpers/sync-tree.js';


/** Every file under `dir`, relative to it, sorted. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('rsync-up and rsync-down on the process provider (end to end)', function () {
  this.timeout(120_000);
  const name = `rsyncp${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { workers: 2, extra: 'rsync_exclude: [build]\nrsync_filter: [.gitignore]' }));
  const nodeData = () => join(cluster.home, 'clusters', name, 'node-data');
  let headDir = '';
  let workerDirs: string[] = [];
  let src = '';

  before(async () => {
    await cluster.start();
    const headId = (JSON.parse(readFileSync(join(cluster.home, 'clusters', name, 'head.json'), 'utf8')) as { nodeId: string }).nodeId;
    headDir = join(nodeData(), headId);
    const workers = await until('both workers to be ALIVE', 30_000, async () => {
      const r = await cluster.cli(['status', '-c', name, '--json']);
      const alive = (JSON.parse(r.stdout) as StatusJson).nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE');
      return alive.length === 2 ? alive : undefined;
    });
    workerDirs = workers.map((w) => join(nodeData(), w.node_id));

    src = join(cluster.dir, 'src');
    writeSyncTree(src);
  });
  after(async () => { await cluster.stop(); });

  it('exec runs in the head\'s folder, which is where a relative rsync path points', async () => {
    const r = await cluster.cli(['exec', '-c', name, 'pwd']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${headDir}\n`);
  });

  it('rsync-up copies a folder into the head\'s folder without .gitignored files or rsync_exclude\'d folders', async () => {
    const r = await cluster.cli(['rsync-up', cluster.configFile, `${src}/`, 'project']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(filesUnder(join(headDir, 'project')), SYNC_TREE_LANDS);
    assert.equal(readFileSync(join(headDir, 'project', 'a', 'b', 'deep file.txt'), 'utf8'), 'deep\n');
    assert.ok(r.stderr.split('\n').includes(`copied ${src}/ → ${join(headDir, 'project')}`), r.stderr);
    for (const w of workerDirs) assert.equal(existsSync(join(w, 'project')), false, `without --all-nodes nothing lands in ${w}`);
  });

  it('rsync-up --all-nodes copies into every worker\'s folder as well as the head\'s, with the same filters', async () => {
    const r = await cluster.cli(['rsync-up', '-c', name, `${src}/`, 'everywhere', '--all-nodes']);
    assert.equal(r.code, 0, r.stderr);
    for (const folder of [headDir, ...workerDirs]) {
      assert.deepEqual(filesUnder(join(folder, 'everywhere')), SYNC_TREE_LANDS, `in ${folder}`);
    }
    assert.equal(r.stderr.match(/^copied /gm)?.length, 3, r.stderr);
  });

  it('rsync-down brings a file written on the head back here, making the local folder', async () => {
    const made = await cluster.cli(['exec', '-c', name, 'mkdir -p results && echo "made on the head" > results/out.txt']);
    assert.equal(made.code, 0, made.stderr);
    const back = join(cluster.dir, 'back', 'nested');
    const r = await cluster.cli(['rsync-down', cluster.configFile, 'results/out.txt', `${back}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(readFileSync(join(back, 'out.txt'), 'utf8'), 'made on the head\n');
  });

  it('rsync-down of a folder leaves out what the cluster\'s filters leave out', async () => {
    const back = join(cluster.dir, 'project-back');
    const r = await cluster.cli(['rsync-down', '-c', name, 'project/', back]);
    assert.equal(r.code, 0, r.stderr);
    writeFileSync(join(headDir, 'project', 'a', 'late.log'), 'ignored on the way down too\n');
    const again = await cluster.cli(['rsync-down', '-c', name, 'project/', back]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(filesUnder(back), SYNC_TREE_LANDS);
  });

  const MISSING: [string, (dir: string) => string[], (dir: string) => string][] = [
    ['rsync-up of a missing local source', (d) => ['rsync-up', '-c', name, join(d, 'no-such-folder'), 'x'], (d) => `error: the local path ${join(d, 'no-such-folder')} does not exist`],
    ['rsync-down of a missing source on the head', (d) => ['rsync-down', '-c', name, 'no-such-file', join(d, 'x')], () => `error: the path on the head ${join(headDir, 'no-such-file')} does not exist`],
  ];
  for (const [what, args, message] of MISSING) {
    it(`${what} exits 1 with an error naming it and no stack trace`, async () => {
      const r = await cluster.cli(args(cluster.dir));
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.split('\n')[0], message(cluster.dir));
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      assert.equal(r.stdout, '');
    });
  }
});
