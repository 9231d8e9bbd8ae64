// A kill -9 of the head service on the process provider: the head node's supervisor restarts it at the same
// address, and the head node's agent, its worker process and the job's detached driver run on untouched.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { runtimeEntry } from '../../../src/common/package-root.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

/** Whether a pid names a live (not zombie) process. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

const cmdline = (pid: number): string[] => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
};

describe('a head service killed with SIGKILL on the process provider', function () {
  this.timeout(180_000);
  const cluster = new TestCluster('head-restart', TestCluster.processConfig('head-restart', { headCpus: 1, workers: 0 }));
  const state = join(cluster.home, 'clusters', 'head-restart');
  before(() => cluster.start());
  after(() => cluster.stop());

  it('is restarted by its supervisor at the same address; the head node\'s agent, its worker process and the job\'s driver run on', async () => {
    const submitted = await cluster.submit(cluster.writeFixture('head-restart/held-task.ts'), ['--no-wait']);
    assert.equal(submitted.code, 0, submitted.stderr);
    const jobId = await until('the job\'s folder', 30_000, () => readdirSync(join(state, 'jobs')).find((d) => d.startsWith('job-')));
    const jobDir = join(state, 'jobs', jobId);
    const stdout = join(jobDir, 'stdout.log');
    const out = () => (existsSync(stdout) ? readFileSync(stdout, 'utf8') : '');
    const worker = Number(await until('the task to run on the head node', 60_000, () => /task pid (\d+)/.exec(out())?.[1]));
    const driver = Number(/driver (\d+) tick/.exec(out())?.[1]);
    const wrapper = (JSON.parse(readFileSync(join(jobDir, 'driver.json'), 'utf8')) as { pid: number }).pid;

    const before = cluster.headInfo();
    const [head] = cluster.nodeRecords().filter((n) => n.kind === 'head');
    assert.ok(head);
    const agent = cluster.processes().find((pid) => cmdline(pid).includes(runtimeEntry('src/worker/main.js')) && cmdline(pid).includes(head.id));
    assert.ok(agent, 'the head node\'s agent is a process of its own');
    assert.notEqual(agent, before.pid);
    for (const [what, pid] of [['worker process', worker], ['driver', driver], ['driver wrapper', wrapper]] as const) {
      assert.ok(alive(pid), `${what} ${pid} runs before the kill`);
    }

    process.kill(before.pid, 'SIGKILL');
    const restarted = await until('the head to be restarted', 60_000, () => {
      const now = cluster.headInfo();
      return now.pid !== before.pid && alive(now.pid) ? now : undefined;
    });
    assert.equal(restarted.address, before.address, 'the same host:port');
    assert.match(cluster.nodeLog(head), /raylaunch supervisor: head exited \(SIGKILL\); restarting (now|in 1 s)/);
    const health = await fetch(`http://${restarted.address}/health`);
    assert.equal(health.status, 200);
    await health.text();

    assert.ok(alive(head.pid), 'the supervisor runs on');
    for (const [what, pid] of [['head node\'s agent', agent], ['worker process', worker], ['driver', driver], ['driver wrapper', wrapper]] as const) {
      assert.ok(alive(pid), `${what} ${pid} was not killed with the head`);
    }
    const size = statSync(stdout).size;
    await until('the driver\'s output to keep growing', 30_000, () => (statSync(stdout).size > size ? true : undefined));
    assert.ok(alive(driver));
  });
});
