// Per-operation authorization, on the head as main.ts wires it: each exploit a message, what the head does.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ActorSpec, Message, TaskSpec } from '../../../src/protocol/messages.js';
import { FakePeer, headHarness } from '../../helpers/head-harness.js';

const config = applyDefaults({
  provider: { type: 'process' }, max_workers: 2, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, worker: { resources: { CPU: 4 }, min_workers: 0, max_workers: 2 } },
  raylaunch: { inline_object_limit: 100 },
});
const register = (nodeId: string): Message => ({
  type: 'node.register', nodeId, nodeType: 'worker', kind: 'worker', address: nodeId, objectAddress: `${nodeId}:9`, resources: { CPU: 4 }, pid: 1,
});
const task = (owner: string, jobId: string, n = 0): TaskSpec => ({
  taskId: `${owner}.t${n}`, jobId, owner, fn: 'f', name: 'f', args: [], deps: [], returnId: `${owner}.t${n}.r`, resources: toFixed({ CPU: 1 }), maxRetries: 0, retryExceptions: false,
});
const actor = (owner: string, jobId: string, o: Partial<ActorSpec> = {}): ActorSpec => ({
  actorId: `${owner}.a0`, jobId, owner, cls: 'C', name: 'C', methods: ['m'], ctorArgs: [], deps: [], place: toFixed({ CPU: 1 }), hold: toFixed({}),
  maxRestarts: 0, maxTaskRetries: 0, maxConcurrency: 1, namespace: 'ns', lifetime: 'job', ...o,
});
const inline = { kind: 'inline' as const, data: new Uint8Array(1) };

describe('what each identity may do (head/authorize.ts)', () => {
  let h: ReturnType<typeof headHarness>;
  const send = (p: FakePeer, ...msgs: Message[]) => h.router.onMessages(p, msgs);
  const agent = (nodeId: string) => {
    const p = new FakePeer({ kind: 'node', nodeId });
    send(p, { type: 'hello', role: 'agent', clientId: `agent-${nodeId}`, nodeId }, register(nodeId));
    return p;
  };
  /** A driver of a new job; its job id is the one the head gave it. */
  const driver = (clientId: string) => {
    const p = new FakePeer();
    send(p, { type: 'hello', role: 'driver', clientId });
    return { p, jobId: p.of('welcome')[0]?.jobId ?? '' };
  };
  beforeEach(() => { h = headHarness({ config, clock: { now: () => 1000 } }); });

  it('a second connection cannot take a registered node id, by hello, registration or heartbeat', () => {
    const n1 = agent('n1');
    // The same node credential twice (an agent restarted while its old connection lingers): the first keeps it.
    const other = new FakePeer({ kind: 'node', nodeId: 'n1' });
    send(other, { type: 'hello', role: 'agent', clientId: 'agent-x', nodeId: 'n1' });
    assert.match(other.closedWith ?? '', /node n1 is another connection's/);
    const n2 = agent('n2');
    send(n2, register('n1'));
    assert.match(n2.closedWith ?? '', /node\.register as node n1, but this connection is node n2/);
    const n3 = agent('n3');
    send(n3, { type: 'heartbeat', nodeId: 'n1' });
    assert.match(n3.closedWith ?? '', /heartbeat as node n1, which this connection did not register/);
    assert.equal(n1.closedWith, undefined);
    assert.equal(h.head.peers.node('n1'), n1);
  });

  it('a driver speaks only as its own client and job, and makes only ids of its own; its client id is no one else\'s', () => {
    const cases: [Message, RegExp][] = [
      [{ type: 'submit', task: task('db', 'job-1') }, /submit names client db, not this connection's \(da\)/],
      [{ type: 'submit', task: task('da', 'job-1') }, /names job job-1, not this connection's \(job-0\)/],
      [{ type: 'put', id: 'db.o0', owner: 'da', jobId: 'job-0', value: inline }, /put makes db\.o0, an id that is not of its client da/],
      [{ type: 'query', reqId: 1, client: 'db' }, /query names client db/],
    ];
    for (const [m, reason] of cases) {
      h = headHarness({ config, clock: { now: () => 1000 } });
      const a = driver('da');
      driver('db');
      send(a.p, m);
      assert.match(a.p.closedWith ?? '', reason, m.type);
    }
    const second = new FakePeer();
    send(second, { type: 'hello', role: 'driver', clientId: 'da', jobId: 'job-0' });
    assert.match(second.closedWith ?? '', /client id da is another connection's/);
  });

  it('a worker process relayed by an agent is the client and job its agent announced; a stored object is only its own node\'s', () => {
    const n1 = agent('n1');
    const d = driver('d1');
    send(n1, { type: 'hello', role: 'worker', clientId: 'n1.w0', jobId: d.jobId, nodeId: 'n1' });
    send(n1, { type: 'put', id: 'n1.w0.o0', owner: 'n1.w0', jobId: d.jobId, value: { kind: 'stored', nodeId: 'n1', size: 500, address: 'evil:1' } });
    assert.deepEqual(h.head.objects.get('n1.w0.o0'), { kind: 'stored', nodeId: 'n1', size: 500, address: 'n1:9' }, 'the node table\'s address, not the sender\'s');
    const hijack = agent('n2');
    send(hijack, { type: 'hello', role: 'worker', clientId: 'd1', jobId: d.jobId, nodeId: 'n2' });
    assert.match(hijack.closedWith ?? '', /client id d1 is another connection's/);
    const liar = agent('n3');
    send(liar, { type: 'put', id: 'n1.w0.o1', owner: 'n1.w0', jobId: d.jobId, value: inline });
    assert.match(liar.closedWith ?? '', /put names client n1\.w0, which is no worker process of this agent/);
    const d2 = driver('d2');
    send(d2.p, { type: 'put', id: 'd2.o0', owner: 'd2', jobId: d2.jobId, value: { kind: 'stored', nodeId: 'n1', size: 500, address: 'evil:1' } });
    assert.match(d2.p.closedWith ?? '', /names an object stored on node n1, which is not its own/);
    assert.equal(n1.closedWith, undefined);
  });

  it('a job stops only itself; the operator any job', () => {
    const a = driver('da');
    const b = driver('db');
    send(a.p, { type: 'job.stop', jobId: b.jobId });
    send(b.p, { type: 'job.stop', jobId: b.jobId });
    const cli = new FakePeer();
    send(cli, { type: 'hello', role: 'cli', clientId: 'cli' }, { type: 'job.stop', jobId: a.jobId });
    assert.deepEqual(h.jobs.stopped, [b.jobId, a.jobId]);
    assert.equal(a.p.closedWith, undefined, 'a refused operation drops the message, not the connection');
    assert.match(h.logged.join('\n'), /dropping job\.stop from connection \d+ \(driver da\): job job-0 may not stop job job-1/);
  });

  it('a job kills only actors it holds a handle to: its own, or a detached named one it found with getActor', () => {
    const n1 = agent('n1');
    const a = driver('da');
    const b = driver('db');
    send(a.p, { type: 'actor.create', actor: actor('da', a.jobId, { actorName: 'plain' }) });
    send(a.p, { type: 'actor.create', actor: { ...actor('da', a.jobId, { actorName: 'keeper', lifetime: 'detached' }), actorId: 'da.a1' } });
    send(n1, { type: 'actor.ready', actorId: 'da.a0', attempt: 1 }, { type: 'actor.ready', actorId: 'da.a1', attempt: 1 });
    const stops = () => n1.of('actor.stop').map((m) => m.actorId);
    send(b.p, { type: 'actor.kill', actorId: 'da.a0', noRestart: true, jobId: b.jobId }, { type: 'actor.kill', actorId: 'da.a1', noRestart: true, jobId: b.jobId });
    assert.deepEqual(stops(), [], 'no handle: no kill');
    send(b.p, { type: 'actor.lookup', reqId: 1, client: 'db', name: 'plain', namespace: 'ns' }, { type: 'actor.lookup', reqId: 2, client: 'db', name: 'keeper', namespace: 'ns' });
    send(b.p, { type: 'actor.kill', actorId: 'da.a0', noRestart: true, jobId: b.jobId }, { type: 'actor.kill', actorId: 'da.a1', noRestart: true, jobId: b.jobId });
    assert.deepEqual(stops(), ['da.a1'], 'found with getActor: only the detached one');
    send(a.p, { type: 'actor.kill', actorId: 'da.a0', noRestart: true, jobId: a.jobId });
    assert.deepEqual(stops(), ['da.a1', 'da.a0'], 'its own job kills it');
    assert.match(h.logged.join('\n'), /job job-1 holds no handle to actor da\.a0 \(of job job-0\)/);
  });

  it('a job cancels only its own work, and removes only its own placement groups', () => {
    const n1 = agent('n1');
    const a = driver('da');
    const b = driver('db');
    send(a.p, { type: 'submit', task: task('da', a.jobId) }, { type: 'pg.create', pg: { pgId: 'da.pg0', jobId: a.jobId, owner: 'da', strategy: 'PACK', bundles: [toFixed({ CPU: 1 })] } });
    send(b.p, { type: 'cancel', id: 'da.t0.r', force: true, recursive: false, jobId: b.jobId }, { type: 'pg.remove', pgId: 'da.pg0', jobId: b.jobId });
    assert.deepEqual(n1.of('task.cancel'), []);
    assert.equal(h.head.objects.get('da.t0.r'), undefined, 'the task still runs');
    assert.deepEqual(a.p.of('pg.state').map((m) => m.state), ['CREATED']);
    send(a.p, { type: 'cancel', id: 'da.t0.r', force: true, recursive: false, jobId: a.jobId });
    assert.deepEqual(n1.of('task.cancel').map((m) => m.taskId), ['da.t0']);
  });

  it('an agent reports only on work of its own node', () => {
    const n1 = agent('n1');
    const n2 = agent('n2');
    const d = driver('d1');
    send(d.p, { type: 'submit', task: task('d1', d.jobId) });
    const [runner, other] = n1.of('task.run').length > 0 ? [n1, n2] : [n2, n1];
    send(other, { type: 'task.done', taskId: 'd1.t0', attempt: 1, value: inline, pid: 1 });
    assert.equal(h.head.objects.get('d1.t0.r'), undefined);
    send(runner, { type: 'task.done', taskId: 'd1.t0', attempt: 1, value: inline, pid: 1 });
    assert.deepEqual(h.head.objects.get('d1.t0.r'), inline);
  });
});
