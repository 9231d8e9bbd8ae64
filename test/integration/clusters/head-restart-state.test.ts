// A kill -9 of the head service mid-job on the process provider: the restarted head finds its agents again,
// with the tasks they still run, a detached actor's state, a placement group's reservation and every node, and
// launches or terminates nothing because of the restart.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

describe('a head service killed mid-job on the process provider', function () {
  this.timeout(240_000);
  const cluster = new TestCluster('head-restart-state', TestCluster.processConfig('head-restart-state', { headCpus: 0, workers: 1, workerCpus: 4 }));
  const state = join(cluster.home, 'clusters', 'head-restart-state');
  const gate = join(cluster.dir, 'gate');
  before(() => cluster.start());
  after(() => cluster.stop());

  const jobs = () => (existsSync(join(state, 'jobs')) ? readdirSync(join(state, 'jobs')).filter((d) => d.startsWith('job-')) : []);
  const output = (jobId: string) => {
    const f = join(state, 'jobs', jobId, 'stdout.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  };

  it('keeps its tasks, actors, placement group and nodes, and launches or terminates nothing because of it', async () => {
    const first = await cluster.submit(cluster.writeFixture('head-restart/held-state.ts'), ['--no-wait', '--', gate]);
    assert.equal(first.code, 0, first.stderr);
    const jobA = await until('the job\'s folder', 30_000, () => jobs()[0]);
    await until('the tasks in flight', 120_000, () => (output(jobA).includes('in flight') ? true : undefined));
    const before = await until('both tasks running', 60_000, async () => {
      const s = await cluster.status();
      return s.tasks.running === 2 ? s : undefined;
    });
    const records = cluster.nodeRecords().map((n) => n.id).sort();
    const head = cluster.headInfo();

    process.kill(head.pid, 'SIGKILL');
    await until('the head to be restarted', 60_000, () => (cluster.headInfo().pid !== head.pid ? true : undefined));
    // The agents reconnect and re-report: the two tasks run on, on the same node.
    const resumed = await until('the agents to re-report their tasks', 60_000, async () => {
      const s = await cluster.status().catch(() => undefined);
      return s && s.tasks.running === 2 && s.nodes.every((n) => n.state === 'ALIVE') ? s : undefined;
    });
    assert.deepEqual(resumed.nodes.map((n) => [n.node_id, n.state]).sort(), before.nodes.map((n) => [n.node_id, n.state]).sort());
    assert.deepEqual(resumed.placement_groups, before.placement_groups, 'the group keeps its reservation');
    assert.deepEqual(resumed.actors.map((a) => [a.name, a.state, a.node_id]), before.actors.map((a) => [a.name, a.state, a.node_id]));

    writeFileSync(gate, '');
    await until('the tasks\' results to reach the restarted head', 60_000, async () => ((await cluster.status()).tasks.finished >= 2 ? true : undefined));

    const second = await cluster.submit(cluster.writeFixture('head-restart/after-restart.ts'), ['--no-wait']);
    assert.equal(second.code, 0, second.stderr);
    const jobB = await until('the second job\'s folder', 30_000, () => jobs().find((j) => j !== jobA));
    await until('the second driver to call the detached actor', 60_000, () => (/keeper now \d+/.test(output(jobB)) ? true : undefined));
    assert.match(output(jobB), /keeper now 6/, 'the actor\'s state from before the restart');

    const s = await cluster.status();
    assert.deepEqual(cluster.nodeRecords().map((n) => n.id).sort(), records, 'no node launched or terminated');
    assert.deepEqual((s.autoscaler?.events ?? []).filter((e) => e.kind === 'launch' || e.kind === 'terminate'), []);
  });
});
