import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { applyDefaults } from '../../../src/config/defaults.js';
import { Sessions } from '../../../src/head/sessions.js';
import type { Head } from '../../../src/head/head.js';
import { FakeJobs, FakePeer, headHarness } from '../../helpers/head-harness.js';

const config = applyDefaults({ provider: { type: 'process' }, head_node_type: 'head', available_node_types: { head: { resources: { CPU: 1 } } } });

describe('connection sessions (Sessions)', () => {
  let head: Head;
  let jobs: FakeJobs;
  let sessions: Sessions;
  let lost: string[];

  beforeEach(() => {
    ({ head } = headHarness({ config, clock: { now: () => 0 } }));
    jobs = new FakeJobs();
    lost = [];
    sessions = new Sessions({ head: { peers: head.peers, objects: head.objects, welcome: (o) => head.welcome(o), nodeLost: (id) => lost.push(id) }, jobs });
  });

  it('an agent is welcomed and known by its node', () => {
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'agent', clientId: 'agent-n1', nodeId: 'n1' });
    assert.deepEqual([p.role, p.clientId, p.nodeId], ['agent', 'agent-n1', 'n1']);
    assert.equal(p.of('welcome')[0]?.clusterName, 'sim');
  });

  it('a driver of a running job is welcomed into it and gets its objects pushed', () => {
    jobs.running.add('job-7');
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'driver', clientId: 'd1', jobId: 'job-7' });
    assert.deepEqual([p.of('welcome')[0]?.jobId, p.of('welcome')[0]?.namespace], ['job-7', 'job-7']);
    head.objects.subscribe('d1', 'x');
    head.objects.set('x', { kind: 'inline', data: new Uint8Array([1]) }, 'job-7');
    assert.deepEqual(p.of('object').map((m) => m.id), ['x']);
  });

  it('a driver of a job that is not running is told so and closed', () => {
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'driver', clientId: 'd1', jobId: 'job-404' });
    assert.deepEqual(p.of('fatal').map((m) => m.message), ['job job-404 is not running on this cluster']);
    assert.equal(p.closedWith, 'unknown job');
    assert.equal(p.of('welcome').length, 0);
  });

  it('a worker process announced by its agent is reached through that agent, and forgotten with it', () => {
    const agent = new FakePeer();
    agent.nodeId = 'n1';
    sessions.hello(agent, { type: 'hello', role: 'agent', clientId: 'agent-n1', nodeId: 'n1' });
    head.peers.bindNode('n1', agent);
    sessions.hello(agent, { type: 'hello', role: 'worker', clientId: 'n1.w0', jobId: 'j', nodeId: 'n1' });
    assert.equal(agent.role, 'agent', 'the agent stays an agent');
    head.peers.toClient('n1.w0', { type: 'warning', client: 'n1.w0', message: 'hi' });
    assert.deepEqual(agent.of('warning').map((m) => m.message), ['hi']);
    sessions.closed(agent);
    head.peers.toClient('n1.w0', { type: 'warning', client: 'n1.w0', message: 'again' });
    assert.equal(agent.of('warning').length, 1);
    assert.deepEqual(lost, ['n1']);
  });

  it('following a job streams its output; a missing job says so; a closed follower is unfollowed', () => {
    jobs.running.add('job-1');
    const unfollowed: string[] = [];
    jobs.unfollow = () => { unfollowed.push('sink'); };
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'cli', clientId: 'cli-1' });
    sessions.follow(p, { type: 'job.follow', jobId: 'job-1' });
    sessions.follow(p, { type: 'job.follow', jobId: 'job-2' });
    assert.deepEqual(p.of('job.output').map((m) => m.text), ['output of job-1\n']);
    assert.deepEqual(p.of('job.missing').map((m) => m.jobId), ['job-2']);
    sessions.closed(p);
    assert.deepEqual(unfollowed, ['sink', 'sink']);
    assert.deepEqual(lost, [], 'a CLI is no node');
  });

  it('a driver that disconnects is reported to the job manager', () => {
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'driver', clientId: 'd9' });
    sessions.closed(p);
    assert.deepEqual(jobs.disconnected, ['d9']);
  });

  it('a driver started by hand hears its new job\'s id only once the job is durable', async () => {
    jobs.holdSaves = true;
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'driver', clientId: 'd5' });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(p.of('welcome'), []);
    jobs.releaseSaves();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(p.of('welcome').map((m) => m.jobId), ['job-0']);
  });

  it('a driver that says it exits is reported to the job manager with its exit code', () => {
    const p = new FakePeer();
    sessions.hello(p, { type: 'hello', role: 'driver', clientId: 'd9' });
    sessions.exited(p, { type: 'driver.exit', exitCode: 3 });
    assert.deepEqual(jobs.exited, [['d9', 3]]);
  });

  describe('a driver back after its connection dropped', () => {
    const resumed = (recovered?: () => Promise<void>) => new Sessions({
      head: { peers: head.peers, objects: head.objects, welcome: (o) => head.welcome(o), nodeLost: () => undefined }, jobs, reconnectTimeoutS: 45,
      ...(recovered ? { recovered } : {}),
    });

    it('is welcomed into its running job under the same client id, with how long to wait for a head', () => {
      jobs.running.add('job-7');
      const p = new FakePeer();
      resumed().hello(p, { type: 'hello', role: 'driver', clientId: 'driver-1', jobId: 'job-7' });
      assert.deepEqual([p.of('welcome')[0]?.jobId, p.of('welcome')[0]?.reconnectTimeoutS], ['job-7', 45]);
      assert.deepEqual(jobs.driversOf('job-7'), ['driver-1']);
    });

    it('hears which of its unfinished submissions the head has (results it expects or holds, puts), only once the head has recovered, and nothing of another job', async () => {
      let recover: () => void = () => undefined;
      const recovering = new Promise<void>((resolve) => { recover = resolve; });
      const s = resumed(() => recovering);
      jobs.running.add('job-7');
      s.hello(new FakePeer(), { type: 'hello', role: 'driver', clientId: 'driver-1', jobId: 'job-7' });
      head.objects.expect('driver-1.t0.r', 'job-7'); // a task re-reported by its node
      head.objects.expect('driver-2.t0.r', 'job-8'); // another job's: the answer must not tell it exists
      head.objects.set('driver-1.o1', { kind: 'inline', data: new Uint8Array([1]) }, 'job-7'); // a put the head holds
      head.objects.subscribe('driver-1', 'driver-1.t9.r'); // asked for, never submitted here: not known
      const p = new FakePeer();
      s.resume(p, { type: 'resume.ask', reqId: 3, client: 'driver-1', ids: ['driver-1.t0.r', 'driver-1.t9.r', 'driver-1.o1', 'driver-1.c2.r', 'driver-2.t0.r'] });
      await new Promise((r) => setImmediate(r));
      assert.equal(p.of('resume.known').length, 0, 'no answer while the head recovers');
      recover();
      await recovering;
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(p.of('resume.known'), [{ type: 'resume.known', reqId: 3, client: 'driver-1', ids: ['driver-1.t0.r', 'driver-1.o1'] }]);
    });
  });
});
