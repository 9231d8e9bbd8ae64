// Another local user on a node and the files that hand large objects to worker processes (/dev/shm): the agent's
// folder used to be raylaunch-<node id>-<pid>, both in `ps`, and a folder someone else made there was taken as is.
// Here `nobody` makes those folders first, with a link for every object file name the job's objects could get.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';

const SHM = '/dev/shm';
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
/** Runs a Node.js script as `nobody`. */
const asNobody = (script: string, ...args: string[]): string => execFileSync('setpriv', [...NOBODY, process.execPath, '-e', script, ...args], { encoding: 'utf8' });

// Tasks run inside tasks have ids a neighbour can work out (`<node>.w<worker>.t<n>`), and so have their
// results' files. Each outer task gets a 2 MiB result from an inner one, through its node's agent.
const JOB = `
import { get, main, remote } from 'raylaunch';
export const big = remote(function big() { return new Uint8Array(2 * 1024 * 1024).fill(0x5a); });
export const outer = remote(async function outer() { return (await get(big.remote())).byteLength; });
main(async () => { console.log('sizes', (await get([outer.remote(), outer.remote(), outer.remote()])).join(',')); });
`;

describe('large objects in /dev/shm and another local user', function () {
  this.timeout(120_000);
  const name = `shm${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 2, workers: 1 }));
  const loot = join(SHM, `rl-loot-${process.pid}`);
  const stale = join(SHM, `raylaunch-${spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout}-StAlE1`);
  let premade: string[] = [];

  before(async function () {
    if (!existsSync(SHM) || process.getuid?.() !== 0) this.skip();
    // What a killed agent of this user left behind.
    mkdirSync(stale, { mode: 0o700 });
    writeFileSync(join(stale, 'obj.0'), 'left over');
    await cluster.start();
    const nodes = (await cluster.status()).nodes;
    premade = nodes.map((n) => join(SHM, `raylaunch-${n.node_id}-${n.pid}`));
    // nobody's folders where the agents used to write, full of links into nobody's loot files.
    asNobody(`
      const fs = require('fs'); const path = require('path');
      const [loot, ...dirs] = process.argv.slice(1);
      fs.mkdirSync(loot, { mode: 0o755 });
      for (const dir of dirs) {
        const node = path.basename(dir).replace(/^raylaunch-/, '').replace(/-\\d+$/, '');
        const target = path.join(loot, node);
        fs.writeFileSync(target, '', { mode: 0o666 });
        fs.mkdirSync(dir, { mode: 0o755 });
        for (let w = 0; w < 8; w++) for (let t = 0; t < 8; t++) for (let seq = 0; seq < 32; seq++) {
          fs.symlinkSync(target, path.join(dir, node + '.w' + w + '.t' + t + '.r.' + seq));
        }
      }`, loot, ...premade);
  });

  after(async () => {
    await cluster.stop();
    for (const d of [...premade, loot, stale]) rmSync(d, { recursive: true, force: true });
  });

  it('the job\'s objects reach its tasks, and nobody\'s files get none of their bytes', async () => {
    const r = await cluster.submit(join(cluster.writeJob({ 'job.ts': JOB }), 'job.ts'));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /sizes 2097152,2097152,2097152/);
    const got = JSON.parse(asNobody(`
      const fs = require('fs'); const dir = process.argv[1];
      console.log(JSON.stringify(fs.readdirSync(dir).map((f) => fs.readFileSync(dir + '/' + f).length)));`, loot)) as number[];
    assert.deepEqual(got, premade.map(() => 0), 'bytes nobody could read');
  });

  it('each agent keeps its objects in a random folder of its own, 0700; nobody\'s folders are left alone', () => {
    const pids = new Set(premade.map((d) => d.slice(d.lastIndexOf('-') + 1)));
    const own = readdirSync(SHM).filter((f) => pids.has(/^raylaunch-(\d+)-[A-Za-z0-9]{6}$/.exec(f)?.[1] ?? ''));
    assert.ok(own.length > 0, 'an agent handed a file over');
    for (const f of own) {
      const st = lstatSync(join(SHM, f));
      assert.deepEqual([st.isDirectory(), st.uid, st.mode & 0o777], [true, 0, 0o700], f);
    }
    for (const d of premade) assert.equal(lstatSync(d).uid, 65534, `${d} is nobody's and stays`);
  });

  it('a folder a killed agent of this user left behind is removed when an agent starts', () => {
    assert.equal(existsSync(stale), false);
  });
});
