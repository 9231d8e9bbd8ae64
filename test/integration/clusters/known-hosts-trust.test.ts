// A job on the head can write the head's known_hosts and its pool file. After `rsync-up --all-nodes` and a routine
// `down`, this machine must trust no key the job wrote for any host it reaches (real hosts, test/helpers/hosts).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { localCluster, raylaunchPids } from '../../helpers/local-cluster.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

describe('host keys a job on the head wrote (real SSH hosts)', function () {
  this.timeout(180_000);
  if (!testHostsOrFail()) return;
  const name = `khtrust${process.pid}`;
  let pool: TestHostPool;
  let head: TestHost;
  let workers: TestHost[];
  let cluster: TestCluster;
  let keys = '';
  let evil = '';
  const pwned = join(tmpdir(), `rl-pwned-${process.pid}`);
  const local = () => readFileSync(join(cluster.home, 'clusters', name, 'known_hosts'), 'utf8');
  const workersFile = () => {
    const f = join(cluster.home, 'clusters', name, 'known_hosts.workers');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };
  /** Runs a shell line on the head over SSH, as a job there could. */
  const onHead = async (cmd: string) => {
    const r = await cluster.cli(['exec', cluster.configFile, cmd]);
    assert.equal(r.code, 0, r.stderr);
  };
  const state = `.raylaunch/clusters/${name}`;

  before(async function () {
    this.timeout(240_000);
    pool = await createHosts(3);
    [head, ...workers] = pool.hosts as [TestHost, ...TestHost[]];
    keys = mkdtempSync(join(tmpdir(), 'rl-evil-key-'));
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(keys, 'evil')]);
    evil = readFileSync(join(keys, 'evil.pub'), 'utf8').trim().split(' ').slice(0, 2).join(' ');
    cluster = localCluster(name, pool, head, workers, { min_workers: 2, max_workers: 2 });
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 200_000);
    assert.equal(r.code, 0, r.stderr);
    // A wildcard and a second key for every host of the cluster, the head included.
    await onHead(`printf '%s\\n' ${['*', head.ip, ...workers.map((w) => w.ip)].map((h) => `'${h} ${evil}'`).join(' ')} >> ${state}/known_hosts`);
  });

  after(async function () {
    this.timeout(120_000);
    try {
      await cluster?.stop();
    } finally {
      await pool?.remove();
      rmSync(keys, { recursive: true, force: true });
      rmSync(pwned, { force: true });
    }
  });

  const assertNoEvilTrusted = () => {
    assert.doesNotMatch(local(), new RegExp(evil.split(' ')[1]?.replace(/[+/]/g, '\\$&') ?? 'x'), `this machine's known_hosts:\n${local()}`);
    assert.doesNotMatch(local(), /^\*/m);
    assert.doesNotMatch(workersFile(), new RegExp(evil.split(' ')[1]?.replace(/[+/]/g, '\\$&') ?? 'x'), `known_hosts.workers:\n${workersFile()}`);
    for (const h of [head, ...workers]) assert.doesNotMatch(workersFile(), new RegExp(`^${h.ip.replace(/\./g, '\\.')} `, 'm'), 'the workers file holds no config host');
  };

  it('rsync-up --all-nodes copies to every node and trusts none of the keys the job wrote', async () => {
    const file = join(cluster.dir, 'everywhere.txt');
    writeFileSync(file, 'on every node\n');
    const r = await cluster.cli(['rsync-up', cluster.configFile, file, 'shared/everywhere.txt', '--all-nodes']);
    assert.equal(r.code, 0, r.stderr);
    for (const h of [head, ...workers]) assert.equal((await pool.exec(h, 'cat shared/everywhere.txt')).stdout, 'on every node\n', h.ns);
    assertNoEvilTrusted();
  });

  it('down with forged workers in the pool file: stops every real host, contacts no forged one, trusts no key the job wrote', async () => {
    // The pool file as a job could leave it: a wildcard and an ssh option among the workers.
    const forged = { '*': { kind: 'worker' }, [`-oProxyCommand=touch ${pwned}`]: { kind: 'worker' } };
    await onHead(`node -e 'const f = process.argv[1]; const fs = require("fs"); const p = JSON.parse(fs.readFileSync(f, "utf8")); fs.writeFileSync(f, JSON.stringify({ ...p, ...${JSON.stringify(forged).replace(/'/g, '')} }))' ${state}/local-pool.json`);
    const r = await cluster.cli(['down', cluster.configFile, '-y'], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    for (const h of pool.hosts) assert.deepEqual(await raylaunchPids(pool, h), [], `raylaunch left on ${h.ns}`);
    assert.equal(existsSync(pwned), false, 'the forged address ran nothing here');
    assertNoEvilTrusted();
  });
});
