// Placement-group work gives back what it held: killing an actor frees what it held, in a bundle or not; removing a
// group kills the actors and tasks in it and frees its resources (Ray's semantics). On a head of 1 CPU and two
// workers of 2 CPUs, each job below once left CPUs used with nothing running, and the workers "busy" forever.
// Beyond what each job checks itself, the harness checks after every job that the cluster settled (settled.ts).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import { TestCluster } from '../../helpers/cluster.js';

/** Jobs of test/fixtures/jobs/, sharing resources-settle/lib/groups.ts (a group of actors, the wait for every CPU). */
const JOBS: Record<string, { job: string; stdout: RegExp[] }> = {
  'killing the actors of a group, then removing it, frees every CPU': {
    stdout: [/^calls: pong,pong$/m, /^after kill and remove: 5\/5 CPU free$/m],
    job: 'resources-settle/kill-then-remove.ts',
  },
  'removing a group kills the actors in it and frees every CPU': {
    stdout: [/^calls: pong,pong$/m, /^after remove: ActorDiedError: actor Worker was killed: its placement group \S+ was removed$/m, /^freed: 5\/5 CPU free$/m],
    job: 'resources-settle/remove-kills-actors.ts',
  },
  'removing a group cancels the tasks running and queued in it': {
    stdout: [/^running: TaskCancelledError: task hold was cancelled: its placement group \S+ was removed$/m, /^queued: TaskCancelledError/m, /^freed: 5\/5 CPU free$/m],
    job: 'resources-settle/remove-cancels-tasks.ts',
  },
  'a job that ends with its group and actors still there gives every CPU back': {
    stdout: [/^calls: pong,pong$/m],
    job: 'resources-settle/ends-with-group.ts',
  },
};

describe('placement-group work gives back its resources (end to end)', function () {
  this.timeout(180_000);
  const name = `settle${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 1, workers: 2, workerCpus: 2 }));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  for (const [title, job] of Object.entries(JOBS)) {
    it(title, async () => {
      const r = await cluster.submitFixture(job.job);
      assert.equal(r.code, 0, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const re of job.stdout) assert.match(r.stdout, re);
    });
  }

  it('after all of them, no worker is kept busy and every CPU is free', async () => {
    const s = await cluster.status();
    assert.deepEqual(s.nodes.filter((n) => n.state === 'ALIVE').map((n) => n.available.CPU === n.total.CPU), [true, true, true]);
    assert.deepEqual(s.autoscaler?.nodes.filter((n) => n.why.startsWith('busy')), []);
  });
});
