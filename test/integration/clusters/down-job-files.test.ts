// `down` of a cluster on SSH hosts: the jobs' code and working folders do not stay on the hosts, and their logs
// (driver.log, job.json) come back to this machine's cluster folder first (real hosts, test/helpers/hosts).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { createHosts, type TestHost, type TestHostPool } from '../../helpers/hosts/hosts.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { localCluster } from '../../helpers/local-cluster.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

const JOB = `
import { readFileSync } from 'node:fs';
import { get, getRuntimeContext, main, remote } from 'raylaunch';
export const where = remote(async function where() {
  await new Promise((r) => setTimeout(r, 200));
  return getRuntimeContext().nodeId + ':' + readFileSync('data.txt', 'utf8').trim();
});
main(async () => {
  console.log('ran on', [...new Set(await get(Array.from({ length: 8 }, () => where.remote())))].sort().join(' '));
});
`;

describe('down and the jobs\' files on SSH hosts', function () {
  this.timeout(180_000);
  if (!testHostsOrFail()) return;
  const name = `downjobs${process.pid}`;
  let pool: TestHostPool;
  let cluster: TestCluster;
  let data = '';
  let jobId = '';
  const state = `.raylaunch/clusters/${name}`;
  /** The job files left on a host: bundles, working folders, the head's job folders. */
  const jobFiles = async (h: TestHost) => (await pool.exec(h, `cd ${state} 2>/dev/null && find . \\( -name job.mjs -o -name 'working_dir*' -o -path './jobs*' \\) -print | sort`)).stdout.trim();

  before(async function () {
    this.timeout(240_000);
    pool = await createHosts(2);
    const [head, worker] = pool.hosts as [TestHost, TestHost];
    data = mkdtempSync(join(tmpdir(), 'rl-downjobs-'));
    writeFileSync(join(data, 'data.txt'), 'from the working dir\n');
    cluster = localCluster(name, pool, head, [worker], { min_workers: 1, max_workers: 1 });
    const up = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 200_000);
    assert.equal(up.code, 0, up.stderr);
    const r = await cluster.cli(['submit', cluster.configFile, join(cluster.writeJob({ 'job.ts': JOB }), 'job.ts'), '--working-dir', data, '--json'], 90_000);
    assert.equal(r.code, 0, r.stderr);
    jobId = (JSON.parse(r.stdout) as { job_id: string }).job_id;
  });

  after(async function () {
    this.timeout(120_000);
    try {
      await cluster?.stop();
    } finally {
      await pool?.remove();
      if (data) rmSync(data, { recursive: true, force: true });
    }
  });

  it('down copies each job\'s driver.log and job.json here, then removes the jobs\' files from every host', async () => {
    const [head] = pool.hosts as [TestHost];
    assert.match(await jobFiles(head), /job\.mjs/, 'the job left its code on the head');
    const r = await cluster.cli(['down', cluster.configFile, '-y'], 120_000);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const last = join(cluster.home, 'clusters', name, 'jobs-last-run');
    assert.match(r.stdout, new RegExp(`logs of the last run: ${last.replace(/[.]/g, '\\.')}`));
    for (const h of pool.hosts) {
      assert.equal(await jobFiles(h), '', `job files left on ${h.ns}`);
      assert.equal((await pool.exec(h, `test -d ${state}/logs`)).code, 0, `the node's own logs stay on ${h.ns}`);
    }
    assert.deepEqual(readdirSync(join(last, jobId)).sort(), ['driver.log', 'job.json']);
    assert.match(readFileSync(join(last, jobId, 'driver.log'), 'utf8'), /^ran on .*:from the working dir/m);
    assert.equal((JSON.parse(readFileSync(join(last, jobId, 'job.json'), 'utf8')) as { jobId: string }).jobId, jobId);
    assert.equal(existsSync(join(last, jobId, 'job.mjs')), false);
  });
});
