// A head restarted on the store the last one wrote: what it finds there, what agents re-report, and what it
// does while they reconnect. Two heads on one MemoryDatabase, one after the other, on a fake clock.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { MemoryDatabase } from '../../../src/head/gcs/memory.js';
import { openStore } from '../../../src/head/gcs/open.js';
import type { GcsStore } from '../../../src/head/gcs/store.js';
import type { ActorSpec, Message, TaskSpec } from '../../../src/protocol/messages.js';
import { FakePeer, headHarness } from '../../helpers/head-harness.js';

const config = applyDefaults({
  provider: { type: 'process' }, max_workers: 4, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, worker: { resources: { CPU: 2 }, min_workers: 0, max_workers: 4 } },
  raylaunch: { heartbeat_timeout_s: 5, head_reconnect_timeout_s: 60, inline_object_limit: 100 },
});

const task = (id: string, o: Partial<TaskSpec> = {}): TaskSpec => ({
  taskId: `d1.${id}`, jobId: 'job-0', owner: 'd1', fn: 'f', name: id, args: [], deps: [], returnId: `d1.${id}.r`, resources: toFixed({ CPU: 1 }),
  maxRetries: 1, retryExceptions: false, ...o,
});
const actorSpec = (id: string, o: Partial<ActorSpec> = {}): ActorSpec => ({
  actorId: `d1.${id}`, jobId: 'job-0', owner: 'd1', cls: 'C', name: 'C', methods: ['m'], ctorArgs: [{ value: new Uint8Array([1, 2, 3]) }], deps: [],
  place: toFixed({ CPU: 1 }), hold: toFixed({ CPU: 1 }), maxRestarts: 1, maxTaskRetries: 0, maxConcurrency: 1, namespace: 'ns', lifetime: 'job', ...o,
});
const inline = (...bytes: number[]) => ({ kind: 'inline' as const, data: new Uint8Array(bytes) });

describe('a restarted head', () => {
  let now = 1000;
  const clock = { now: () => now };
  const db = () => new MemoryDatabase();
  const stores: GcsStore[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => undefined);
  });

  const open = async (memory: MemoryDatabase) => {
    const store = await openStore('memory', { clusterName: 'c', stateDir: '/nonexistent', memory });
    stores.push(store);
    const h = headHarness({ config, clock, store });
    const send = (p: FakePeer, ...msgs: Message[]) => h.router.onMessages(p, msgs);
    const agent = (nodeId: string, resume?: Omit<Extract<Message, { type: 'node.resume' }>, 'type' | 'nodeId'>) => {
      const p = new FakePeer({ kind: 'node', nodeId });
      send(p, { type: 'hello', role: 'agent', clientId: `agent-${nodeId}`, nodeId },
        { type: 'node.register', nodeId, nodeType: nodeId === 'head' ? 'head' : 'worker', kind: nodeId === 'head' ? 'head' : 'worker', address: nodeId, objectAddress: `${nodeId}:9`, resources: nodeId === 'head' ? { CPU: 0 } : { CPU: 2 }, pid: 1 },
        ...(resume ? [{ type: 'node.resume' as const, nodeId, ...resume }] : []));
      return p;
    };
    const driver = (clientId = 'd1') => {
      const p = new FakePeer();
      send(p, { type: 'hello', role: 'driver', clientId, jobId: 'job-0' });
      return p;
    };
    h.jobs.running.add('job-0');
    return { ...h, store, send, agent, driver };
  };
  /** The first head: its store is closed (all written) before the next opens it. */
  const stop = async (h: { store: GcsStore }) => {
    await h.store.close();
  };
  /** A head on which these nodes registered, stopped, and a head restarted on the same store. */
  const restartedWith = async (...nodeIds: string[]) => {
    const memory = db();
    const a = await open(memory);
    for (const id of nodeIds) a.agent(id);
    await stop(a);
    return open(memory);
  };
  /**
   * A kill -9 once the last head's write window has ended: what it had written (not what it would write later) is
   * what the next head opens.
   */
  const killed = async (h: { store: GcsStore }, memory: MemoryDatabase) => {
    await h.store.flush();
    const copy = db();
    for (const [k, r] of memory.rows) copy.rows.set(k, { ...r });
    return copy;
  };
  /** A head with an agent w1 and a driver whose actor a1 was just placed on w1 (its constructor still runs). */
  const actorPlaced = async () => {
    const memory = db();
    const a = await open(memory);
    const w1 = a.agent('w1');
    const d = a.driver();
    a.send(d, { type: 'actor.create', actor: actorSpec('a1') });
    a.head.placeNow();
    return { memory, a, w1, d };
  };
  const queuedRows = (memory: MemoryDatabase) => [...memory.rows.values()].filter((r) => r.table === 'queued').map((r) => r.key).sort();
  const tick = (h: { head: { checkLiveness(): void } }, ms: number) => {
    now += ms;
    h.head.checkLiveness();
  };

  it('keeps a node it knew alive through an outage shorter than head_reconnect_timeout_s, and declares it dead after', async () => {
    const b = await restartedWith('w1');
    tick(b, 30_000);
    assert.equal(b.head.nodes.get('w1')?.state, 'ALIVE');
    tick(b, 31_000);
    assert.equal(b.head.nodes.get('w1')?.state, 'DEAD');
  });

  it('a node back within the grace is live again, and heartbeats decide from then on', async () => {
    const b = await restartedWith('w1');
    tick(b, 20_000);
    b.agent('w1');
    tick(b, 4000);
    assert.equal(b.head.nodes.get('w1')?.state, 'ALIVE');
    tick(b, 2000);
    assert.equal(b.head.nodes.get('w1')?.state, 'DEAD');
  });

  it('sends a node in its reconnect grace no work, and counts it busy (never idle)', async () => {
    const b = await restartedWith('w1');
    const d = b.driver();
    b.send(d, { type: 'submit', task: task('t1') });
    assert.deepEqual(b.head.tasks.counts().running, 0);
    assert.equal(b.readModel.autoscalerFacts().nodes.find((n) => n.nodeId === 'w1')?.busy, 'its agent has yet to reconnect after a head restart');
    const w1 = b.agent('w1', { tasks: [], actors: [], objects: [] });
    b.head.placeNow();
    assert.deepEqual(w1.of('task.run').map((m) => m.task.taskId), ['d1.t1']);
  });

  it('takes a re-reported task as running on its node: its result reaches its owner, and it is retried if the node dies', async () => {
    const b = await restartedWith('w1', 'w2');
    const d = b.driver();
    const w1 = b.agent('w1', { tasks: [{ task: task('t1'), attempt: 1 }, { task: task('t2'), attempt: 1 }], actors: [], objects: [] });
    assert.deepEqual(b.head.tasks.counts(), { pending: 0, running: 2, finished: 0, failed: 0 });
    assert.equal(b.head.nodes.get('w1')?.available.CPU ?? 0, 0);
    b.send(w1, { type: 'task.done', taskId: 'd1.t1', attempt: 1, value: inline(7), pid: 1 });
    assert.deepEqual(d.of('object').map((m) => m.id), ['d1.t1.r']);
    const w2 = b.agent('w2', { tasks: [], actors: [], objects: [] });
    b.send(w1, { type: 'task.crashed', taskId: 'd1.t2', attempt: 1, pid: 1, reason: 'x' }); // max_retries 1: runs once more
    b.head.placeNow();
    assert.deepEqual([...w1.of('task.run'), ...w2.of('task.run')].map((m) => [m.task.taskId, m.attempt]), [['d1.t2', 2]]);
  });

  it('a head that knows a re-reported task (retried it elsewhere) has the agent stop its stale copy', async () => {
    const a = await open(db());
    const w1 = a.agent('w1');
    const d = a.driver();
    a.send(d, { type: 'submit', task: task('t1') });
    a.head.placeNow();
    a.send(w1, { type: 'node.register', nodeId: 'w1', nodeType: 'worker', kind: 'worker', address: 'w1', objectAddress: 'w1:9', resources: { CPU: 2 }, pid: 1 },
      { type: 'node.resume', nodeId: 'w1', tasks: [{ task: task('t1'), attempt: 1 }], actors: [], objects: [] });
    assert.deepEqual(w1.of('task.cancel'), []); // the same run, still known as running there
    a.router.onClose(w1); // the link broke: this head (not restarted) retries the task
    const again = a.agent('w1', { tasks: [{ task: task('t1'), attempt: 1 }], actors: [], objects: [] });
    assert.deepEqual(again.of('task.cancel').map((m) => m.taskId), ['d1.t1']);
  });

  it('keeps an actor from the store on its node: re-reported, its calls go there and its answers come back; a named one is found', async () => {
    const memory = db();
    const a = await open(memory);
    const w1 = a.agent('w1');
    const d = a.driver();
    a.send(d, { type: 'actor.create', actor: actorSpec('a1', { actorName: 'keeper', lifetime: 'detached' }) });
    a.head.placeNow();
    const start = w1.of('actor.start')[0];
    assert.ok(start);
    a.send(w1, { type: 'actor.ready', actorId: 'd1.a1', attempt: 1 });
    await stop(a);

    const b = await open(memory);
    const d2 = b.driver('d2');
    b.send(d2, { type: 'actor.lookup', reqId: 1, client: 'd2', name: 'keeper', namespace: 'ns' });
    assert.equal(d2.of('actor.found')[0]?.actor?.actorId, 'd1.a1');
    const call = { callId: 'd2.c1', actorId: 'd1.a1', jobId: 'job-0', owner: 'd2', method: 'm', args: [], deps: [], returnId: 'd2.c1.r' };
    b.send(d2, { type: 'actor.call', call });
    const w1b = b.agent('w1', { tasks: [], actors: [{ actor: start.actor, attempt: 1, ready: true, calls: [] }], objects: [] });
    assert.deepEqual(w1b.of('actor.run').map((m) => m.call.callId), ['d2.c1']);
    assert.deepEqual(w1b.of('actor.start'), []);
    assert.deepEqual(start.actor.ctorArgs, [{ value: new Uint8Array([1, 2, 3]) }]);
    b.send(w1b, { type: 'actor.done', callId: 'd2.c1', actorId: 'd1.a1', attempt: 1, value: inline(5) });
    assert.deepEqual(d2.of('object').map((m) => m.id), ['d2.c1.r']);
  });

  it('restarts an actor from the store that its node\'s agent no longer hosts, with its constructor arguments', async () => {
    const memory = db();
    const a = await open(memory);
    const w1 = a.agent('w1');
    a.send(a.driver(), { type: 'actor.create', actor: actorSpec('a1') });
    a.head.placeNow();
    a.send(w1, { type: 'actor.ready', actorId: 'd1.a1', attempt: 1 });
    await stop(a);
    const b = await open(memory);
    const w1b = b.agent('w1', { tasks: [], actors: [], objects: [] });
    b.head.placeNow();
    const restarted = w1b.of('actor.start');
    assert.deepEqual(restarted.map((m) => [m.actor.actorId, m.attempt, m.actor.ctorArgs]), [['d1.a1', 2, [{ value: new Uint8Array([1, 2, 3]) }]]]);
  });

  it('keeps a placement group\'s reservations on the nodes that hold them', async () => {
    const memory = db();
    const a = await open(memory);
    a.agent('w1');
    a.agent('w2');
    a.send(a.driver(), { type: 'pg.create', pg: { pgId: 'd1.pg1', jobId: 'job-0', owner: 'd1', strategy: 'STRICT_SPREAD', bundles: [toFixed({ CPU: 1 }), toFixed({ CPU: 1 })] } });
    a.head.placeNow();
    const before = a.readModel.status(null).placementGroups;
    await stop(a);
    const b = await open(memory);
    assert.deepEqual(b.readModel.status(null).placementGroups, before);
    b.agent('w1', { tasks: [], actors: [], objects: [] });
    assert.deepEqual(b.head.nodes.get('w1')?.available, toFixed({ CPU: 1 }));
  });

  it('finds the inline objects of running jobs; a job\'s end frees them from the store', async () => {
    const memory = db();
    const a = await open(memory);
    const d = a.driver();
    a.send(d, { type: 'put', id: 'd1.o1', owner: 'd1', jobId: 'job-0', value: inline(1, 2) });
    await stop(a);
    const b = await open(memory);
    const d2 = b.driver('d2');
    b.send(d2, { type: 'fetch', client: 'd2', ids: ['d1.o1'] });
    assert.deepEqual(d2.of('object').map((m) => m.value), [inline(1, 2)]);
    b.head.jobEnded('job-0');
    await stop(b);
    const c = await open(memory);
    assert.equal(c.head.objects.get('d1.o1'), undefined);
  });

  it('answers a get of an object lost with the last head with ObjectLostError once its nodes are back, never a hang', async () => {
    const b = await restartedWith('w1');
    const d = b.driver();
    b.send(d, { type: 'fetch', client: 'd1', ids: ['d1.gone'] });
    tick(b, 100);
    assert.deepEqual(d.of('object'), []); // w1 may still re-report it
    b.agent('w1', { tasks: [], actors: [], objects: [{ id: 'd1.held', jobId: 'job-0', size: 1000 }] });
    tick(b, 100);
    const got = d.of('object').map((m) => [m.id, m.value.kind === 'error' ? m.value.error.name : m.value.kind]);
    assert.deepEqual(got, [['d1.gone', 'ObjectLostError']]);
    b.send(d, { type: 'fetch', client: 'd1', ids: ['d1.held'] });
    assert.deepEqual(d.of('object').at(-1)?.value, { kind: 'stored', nodeId: 'w1', size: 1000, address: 'w1:9' });
  });

  it('hands a driver\'s large put to the head node\'s agent and says where it is only once that agent holds it', async () => {
    const a = await open(db());
    const own = a.agent('head');
    const d = a.driver();
    const big = new Uint8Array(1000).fill(9);
    a.send(d, { type: 'put', id: 'd1.big', owner: 'd1', jobId: 'job-0', value: { kind: 'inline', data: big } });
    assert.deepEqual(own.of('object.store').map((m) => [m.id, m.data.byteLength]), [['d1.big', 1000]]);
    a.send(d, { type: 'fetch', client: 'd1', ids: ['d1.big'] });
    assert.deepEqual(d.of('object'), []);
    a.send(own, { type: 'object.stored', id: 'd1.big', jobId: 'job-0', size: 1000 });
    assert.deepEqual(d.of('object').map((m) => m.value), [{ kind: 'stored', nodeId: 'head', size: 1000, address: 'head:9' }]);
  });
  it('runs the tasks the last head had queued and never sent, once, after every node it knew is back; a resumed driver is told it has them', async () => {
    const memory = db();
    const a = await open(memory);
    const w1 = a.agent('w1');
    const d = a.driver();
    for (const t of [task('t1'), task('t2'), task('t3', { maxRetries: 0 }), task('t4', { deps: ['d1.t1.r'], args: [{ ref: 'd1.t1.r' }, { value: new Uint8Array([4]) }] })]) {
      a.send(d, { type: 'submit', task: t });
    }
    a.head.placeNow();
    assert.deepEqual(w1.of('task.run').map((m) => m.task.taskId), ['d1.t1', 'd1.t2']); // w1 is full: t3 queues, t4 waits for t1
    const copy = await killed(a, memory);
    assert.deepEqual(queuedRows(copy), ['t:d1.t3', 't:d1.t4'], 'the tasks sent within the window were never written');
    const b = await open(copy);
    const d2 = b.driver();
    b.send(d2, { type: 'resume.ask', reqId: 1, client: 'd1', ids: ['d1.t1.r', 'd1.t2.r', 'd1.t3.r', 'd1.t4.r'] });
    const w1b = b.agent('w1', { tasks: [{ task: task('t1'), attempt: 1 }, { task: task('t2'), attempt: 1 }], actors: [], objects: [] });
    tick(b, 100);
    await Promise.resolve();
    assert.deepEqual(d2.of('resume.known')[0]?.ids, ['d1.t1.r', 'd1.t2.r', 'd1.t3.r', 'd1.t4.r'], 'the driver sends none again');
    b.head.placeNow();
    assert.deepEqual(w1b.of('task.run'), [], 'w1 is still full');
    b.send(w1b, { type: 'task.done', taskId: 'd1.t1', attempt: 1, value: inline(1), pid: 1 });
    b.send(w1b, { type: 'task.done', taskId: 'd1.t2', attempt: 1, value: inline(2), pid: 1 });
    b.head.placeNow();
    await b.store.flush(); // t3 (maxRetries 0) goes once its record's delete is durable
    const runs = w1b.of('task.run');
    assert.deepEqual(runs.map((m) => [m.task.taskId, m.attempt]).sort(), [['d1.t3', 1], ['d1.t4', 1]]);
    assert.deepEqual(runs.find((m) => m.task.taskId === 'd1.t4')?.task.args, [{ ref: 'd1.t1.r' }, { value: new Uint8Array([4]) }]);
    assert.deepEqual(queuedRows(await killed(b, copy)), [], 'nothing sent is queued in the store');
  });

  it('never writes a task sent to its node within the window: a restarted head does not run it again', async () => {
    const memory = db();
    const a = await open(memory);
    const w1 = a.agent('w1');
    a.send(a.driver(), { type: 'submit', task: task('t1', { maxRetries: 0 }) });
    a.head.placeNow();
    assert.equal(w1.of('task.run').length, 1);
    const copy = await killed(a, memory);
    assert.deepEqual(queuedRows(copy), []);
    const b = await open(copy);
    b.agent('w1', { tasks: [], actors: [], objects: [] }); // it finished meanwhile
    tick(b, 100);
    b.head.placeNow();
    assert.deepEqual(b.head.tasks.counts(), { pending: 0, running: 0, finished: 0, failed: 0 });
  });

  it('gives an actor the calls the last head held for it, in their order, after the ones its agent re-reports, each once', async () => {
    const { memory, a, w1, d } = await actorPlaced();
    const start = w1.of('actor.start')[0];
    assert.ok(start);
    const call = (n: number) => ({ callId: `d1.c${n}`, actorId: 'd1.a1', jobId: 'job-0', owner: 'd1', method: 'm', args: [{ value: new Uint8Array([n]) }], deps: [], returnId: `d1.c${n}.r` });
    for (const n of [1, 2, 3]) a.send(d, { type: 'actor.call', call: call(n) }); // its constructor still runs: they wait
    const copy = await killed(a, memory);
    assert.deepEqual(queuedRows(copy), ['c:d1.c1', 'c:d1.c2', 'c:d1.c3']);
    const b = await open(copy);
    const d2 = b.driver();
    b.send(d2, { type: 'resume.ask', reqId: 1, client: 'd1', ids: ['d1.c1.r', 'd1.c2.r', 'd1.c3.r'] });
    const w1b = b.agent('w1', { tasks: [], actors: [{ actor: start.actor, attempt: 1, ready: true, calls: [] }], objects: [] });
    tick(b, 100);
    await b.store.flush(); // the calls' records were written: each goes once its delete is durable
    assert.deepEqual(d2.of('resume.known')[0]?.ids, ['d1.c1.r', 'd1.c2.r', 'd1.c3.r']);
    assert.deepEqual(w1b.of('actor.run').map((m) => [m.call.callId, m.call.args]), [1, 2, 3].map((n) => [`d1.c${n}`, [{ value: new Uint8Array([n]) }]]));
    assert.deepEqual(w1b.of('actor.start'), []);
    const c = await open(await killed(b, copy));
    const w1c = c.agent('w1', { tasks: [], actors: [{ actor: start.actor, attempt: 1, ready: true, calls: [] }], objects: [] }); // they ran meanwhile
    tick(c, 100);
    await c.store.flush();
    assert.deepEqual(w1c.of('actor.run'), [], 'a third head runs none of them again');
  });

  it('sends a call whose record was written only once its delete is durable, so a restarted head cannot run it again', async () => {
    const { memory, a, w1, d } = await actorPlaced();
    a.send(d, { type: 'actor.call', call: { callId: 'd1.c1', actorId: 'd1.a1', jobId: 'job-0', owner: 'd1', method: 'm', args: [], deps: [], returnId: 'd1.c1.r' } });
    await a.store.flush(); // the window ended: the call's record is written
    a.send(w1, { type: 'actor.ready', actorId: 'd1.a1', attempt: 1 });
    assert.deepEqual(w1.of('actor.run'), [], 'not before its record is gone');
    assert.deepEqual(queuedRows(await killed(a, memory)), [], 'killed now, a restarted head would find no call to run');
    assert.deepEqual(w1.of('actor.run').map((m) => m.call.callId), ['d1.c1']);
  });
  it('takes a task its store still queues but its agent re-reports (sent in the last window) as running there, never sending it again', async () => {
    const memory = db();
    const a = await open(memory);
    const w1 = a.agent('w1');
    const d = a.driver();
    a.send(d, { type: 'submit', task: task('t0', { resources: toFixed({ CPU: 2 }) }) });
    a.send(d, { type: 'submit', task: task('t1') });
    a.head.placeNow();
    await a.store.flush(); // t1 queued past the window behind t0: written
    a.send(w1, { type: 'task.done', taskId: 'd1.t0', attempt: 1, value: inline(0), pid: 1 });
    a.head.placeNow();
    assert.deepEqual(w1.of('task.run').map((m) => m.task.taskId), ['d1.t0', 'd1.t1']);
    const copy = db();
    for (const [k, r] of memory.rows) copy.rows.set(k, { ...r }); // killed before the window with t1's delete ended
    assert.deepEqual(queuedRows(copy), ['t:d1.t1']);
    const b = await open(copy);
    const w1b = b.agent('w1', { tasks: [{ task: task('t1'), attempt: 1 }], actors: [], objects: [] });
    tick(b, 100);
    b.head.placeNow();
    assert.deepEqual(w1b.of('task.run'), []);
    assert.deepEqual(w1b.of('task.cancel'), []);
    assert.deepEqual(b.head.tasks.counts(), { pending: 0, running: 1, finished: 0, failed: 0 });
  });
});
