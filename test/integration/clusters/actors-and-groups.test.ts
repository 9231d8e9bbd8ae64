import assert from 'node:assert/strict';
import { after, before, describe, it } from 'mocha';
import type { StatusJson } from '../../../src/cli/status-json.js';
import { TestCluster } from '../../helpers/cluster.js';
import { until } from '../../helpers/until.js';

/** Each job (in test/fixtures/jobs/) asserts inside and prints its verdict; the test checks exit code and output. */
const JOBS: Record<string, { job: string; stdout: RegExp[] }> = {
  'calls from one caller run in submission order, even when an earlier call\'s argument is ready later': {
    stdout: [/^order: 1,2,3,4,5$/m],
    job: 'actors-and-groups/call-order.ts',
  },
  'an async method finishes before the next starts; maxConcurrency > 1 lets calls overlap': {
    stdout: [/^serial: max in flight 1$/m, /^concurrent: max in flight 3$/m],
    job: 'actors-and-groups/max-concurrency.ts',
  },
  'named actors: lookup by name, ActorNameTakenError on a clash, ActorNotFoundError on a miss': {
    stdout: [/^shared: 15$/m, /^clash: ActorNameTakenError$/m, /^missing: ActorNotFoundError$/m, /^other namespace: ActorNotFoundError 7$/m],
    job: 'actors-and-groups/named-actors.ts',
  },
  'handles can be passed to tasks and to other actors, and used there': {
    stdout: [/^total: 6$/m, /^via actor: 10$/m],
    job: 'actors-and-groups/pass-handles.ts',
  },
  'cancel removes a queued task or (with force) stops a running one; kill ends an actor': {
    stdout: [/^queued: TaskCancelledError$/m, /^running: TaskCancelledError$/m, /^killed: ActorDiedError$/m, /^restarted: 1$/m],
    job: 'actors-and-groups/cancel-and-kill.ts',
  },
  'errors carry what they know as fields: the actor, the name and namespace, the task, its attempts, the object waited for': {
    stdout: [
      /^taken: shared in team-t, not created: true$/m, /^not found: nobody in team-t$/m, /^died: Box.incr of the killed actor: true$/m,
      /^cancelled: sleepy$/m, /^timed out: sleepy after 100 ms, its object: true$/m, /^crashed: doomed after 2 attempts, pid set: true$/m,
    ],
    job: 'actors-and-groups/error-fields.ts',
  },
  'each placement strategy puts its bundles where it says, and work runs inside them': {
    stdout: [/^PACK: 1 node$/m, /^STRICT_PACK: 1 node$/m, /^SPREAD: 2 nodes$/m, /^STRICT_SPREAD: 3 nodes$/m, /^in bundle: true$/m, /^infeasible: rejected$/m, /^freed: true$/m],
    job: 'actors-and-groups/placement-strategies.ts',
  },
};

describe('actors, cancel and placement groups on the process provider (end to end)', function () {
  this.timeout(120_000);
  const name = `act${process.pid}`;
  const cluster = new TestCluster(name, TestCluster.processConfig(name));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('a detached actor outlives its job; a job-scoped one dies with it', async () => {
    assert.equal((await cluster.submitFixture('actors-and-groups/detached-start.ts')).code, 0);
    // The head stops a job's actors as the job ends; the lookup below is about a stopped one, so wait for that.
    await until('the job-scoped actor to be dead and the detached one alive', 30_000, async () => {
      const { actors } = JSON.parse((await cluster.cli(['status', '-c', cluster.name, '--json'])).stdout) as { actors: { name: string | null; state: string }[] };
      const state = (n: string) => actors.find((a) => a.name === n)?.state;
      return state('temp') === 'DEAD' && state('keeper') === 'ALIVE' ? true : undefined;
    });
    const r = await cluster.submitFixture('actors-and-groups/detached-lookup.ts');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^detached: kept across jobs$/m);
    assert.match(r.stdout, /^temp: ActorNotFoundError$/m);
  });

  it('status lists an actor that crashed among failures, but not one its job killed, ended with the job or removed with its group', async () => {
    const r = await cluster.submitFixture('actors-and-groups/actor-endings.ts');
    assert.equal(r.code, 0, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^crash: ActorDiedError$/m);
    const mine = ['KilledByItsJob', 'InRemovedGroup', 'EndsWithItsJob', 'Crashes'];
    // Every one of them has died (and so had its chance to be listed) before the failures are read.
    const s = await until('the job\'s four actors to be dead', 30_000, async () => {
      const x = await cluster.status();
      const dead = x.actors.filter((a) => mine.includes(a.cls) && a.state === 'DEAD').length;
      return dead === mine.length ? x : undefined;
    });
    const listed = s.failures.filter((f) => mine.includes(f.what));
    assert.deepEqual(listed.map((f) => f.what), ['Crashes'], JSON.stringify(listed));
    assert.match(listed[0]?.message ?? '', /exited with code 3/);
  });

  for (const [title, job] of Object.entries(JOBS)) {
    it(title, async () => {
      const r = await cluster.submitFixture(job.job);
      assert.equal(r.code, 0, `exit code\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
      for (const re of job.stdout) assert.match(r.stdout, re);
    });
  }
});

describe('node loss and node-to-node objects (end to end)', function () {
  this.timeout(120_000);
  const name = `node${process.pid}`;
  // The head offers no CPU, so every task and actor runs on the two workers.
  const cluster = new TestCluster(name, TestCluster.processConfig(name, { headCpus: 0, workers: 2, workerCpus: 2 }));

  before(async () => { await cluster.start(); });
  after(async () => { await cluster.stop(); });

  it('a killed worker node: its running tasks are retried elsewhere and its actor restarts with fresh state', async () => {
    const r = await cluster.submitFixture('actors-and-groups/node-loss.ts');
    assert.equal(r.code, 0, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^started on the node to kill: 2; retried from the dead node: 2$/m);
    assert.match(r.stdout, /^actor after restart: 1 on a new node: true$/m);
    const status = JSON.parse((await cluster.cli(['status', '-c', name, '--json'])).stdout) as StatusJson;
    assert.ok(status.failures.some((f) => /died/.test(f.message)), 'status shows the failure');
  });

  it('a 100 MB object moves between two workers directly; the head relays under 1 MB', async () => {
    const before = JSON.parse((await cluster.cli(['status', '-c', name, '--json'])).stdout) as StatusJson;
    const r = await cluster.submitFixture('actors-and-groups/big-object.ts');
    assert.equal(r.code, 0, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`);
    assert.match(r.stdout, /^moved 100000000 bytes between different nodes: true; checksum 18750$/m);
    const after = JSON.parse((await cluster.cli(['status', '-c', name, '--json'])).stdout) as StatusJson;
    assert.ok(after.relayed_bytes - before.relayed_bytes < 1_000_000, `the head relayed ${after.relayed_bytes - before.relayed_bytes} bytes`);
    console.log(`      ${r.stdout.trim().split('\n').pop() ?? ''}`);
  });
});
