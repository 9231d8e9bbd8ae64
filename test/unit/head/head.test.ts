// The head as main.ts wires it (Head, router, handlers, sessions, read model), driven by messages from fake
// connections on a fake clock.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import type { AutoscalerControl } from '../../../src/head/handlers.js';
import { DEAD_KEPT_MS } from '../../../src/head/head.js';
import type { ActorSpec, Message, TaskSpec } from '../../../src/protocol/messages.js';
import { FakePeer, headHarness } from '../../helpers/head-harness.js';

function clusterConfig(o: { maxWorkers?: number; workerResources?: Record<string, number>; headCpus?: number } = {}): ClusterConfig {
  return applyDefaults({
    provider: { type: 'process' }, max_workers: o.maxWorkers ?? 4, head_node_type: 'head',
    available_node_types: {
      head: { resources: { CPU: o.headCpus ?? 0 } },
      worker: { resources: o.workerResources ?? { CPU: 2 }, min_workers: 0, max_workers: o.maxWorkers ?? 4 },
    },
    raylaunch: { heartbeat_timeout_s: 10, inline_object_limit: 100 },
  });
}

// A client's ids begin with its client id (the head refuses others): `t1` is d1's task d1.t1.
const task = (id: string, o: Partial<TaskSpec> = {}): TaskSpec => ({
  taskId: `d1.${id}`, jobId: 'job-0', owner: 'd1', fn: 'f', name: id, args: [], deps: [], returnId: `d1.${id}.r`, resources: toFixed({ CPU: 1 }),
  maxRetries: 1, retryExceptions: false, ...o,
});

const actorSpec = (id: string, o: Partial<ActorSpec> = {}): ActorSpec => ({
  actorId: `d1.${id}`, jobId: 'job-0', owner: 'd1', cls: 'C', name: 'C', methods: [], ctorArgs: [], deps: [], place: toFixed({ CPU: 1 }), hold: toFixed({}),
  maxRestarts: 0, maxTaskRetries: 0, maxConcurrency: 1, namespace: 'ns', lifetime: 'job', ...o,
});

class FakeAutoscaler implements AutoscalerControl {
  readonly calls: string[] = [];
  view() { return { events: [], pending: [], nodes: [], launching: [], errors: 0 }; }
  nudge(): void { this.calls.push('nudge'); }
  async terminateWorkers(keep: boolean): Promise<string[]> { this.calls.push(`terminate ${keep}`); return ['w1']; }
  reconfigure(c: ClusterConfig): void { this.calls.push(`reconfigure max_workers=${c.max_workers}`); }
}

describe('the head (Head through its router)', () => {
  let now: number;
  let h: ReturnType<typeof headHarness>;
  let autoscaler: FakeAutoscaler;

  const start = (config = clusterConfig()) => {
    now = 1_000;
    autoscaler = new FakeAutoscaler();
    h = headHarness({ config, clock: { now: () => now }, autoscaler });
  };
  beforeEach(() => start());

  const send = (p: FakePeer, ...msgs: Message[]) => h.router.onMessages(p, msgs);
  const agent = (nodeId: string, resources: Record<string, number> = { CPU: 2 }, nodeType = 'worker') => {
    const p = new FakePeer({ kind: 'node', nodeId });
    send(p, { type: 'hello', role: 'agent', clientId: `agent-${nodeId}`, nodeId },
      { type: 'node.register', nodeId, nodeType, kind: nodeId === 'head' ? 'head' : 'worker', address: nodeId, objectAddress: `${nodeId}:9`, resources, pid: 1 });
    return p;
  };
  const driver = (clientId = 'd1') => {
    const p = new FakePeer();
    send(p, { type: 'hello', role: 'driver', clientId });
    return p;
  };
  const cli = () => {
    const p = new FakePeer();
    send(p, { type: 'hello', role: 'cli', clientId: 'cli' });
    return p;
  };
  const runs = (p: FakePeer) => p.of('task.run').map((m) => m.task.taskId.replace(/^d1\./, ''));

  it('a driver\'s task runs on a registered node and its result reaches the driver', () => {
    const n1 = agent('n1');
    const d = driver();
    send(d, { type: 'submit', task: task('t1') });
    assert.deepEqual(runs(n1), ['t1']);
    send(n1, { type: 'task.done', taskId: 'd1.t1', attempt: 1, value: { kind: 'inline', data: new Uint8Array([7]) }, pid: 1 });
    assert.deepEqual(d.of('object').map((m) => m.id), ['d1.t1.r']);
    assert.ok(autoscaler.calls.includes('nudge'), 'new work nudges the autoscaler');
  });

  it('a message of the wrong role closes only its connection, and does nothing', () => {
    const d = driver();
    const n1 = agent('n1');
    send(d, { type: 'node.register', nodeId: 'fake', nodeType: 'worker', kind: 'worker', address: '', objectAddress: '', resources: { CPU: 64 }, pid: 1 });
    assert.match(d.closedWith ?? '', /a driver may not send node\.register/);
    assert.equal(h.head.nodes.get('fake'), undefined);
    assert.match(h.logged.join('\n'), /closing connection \d+ \(driver d1\): a driver may not send node\.register/);
    const c = cli();
    send(c, { type: 'workers.down', reqId: 1, client: 'cli', keepMinWorkers: false });
    send(n1, { type: 'workers.down', reqId: 1, client: 'agent-n1', keepMinWorkers: false });
    assert.equal(c.closedWith, undefined);
    assert.match(n1.closedWith ?? '', /an agent may not send workers\.down/);
    assert.deepEqual(autoscaler.calls.filter((x) => x.startsWith('terminate')), ['terminate false'], 'only the CLI\'s reached the autoscaler');
  });

  it('a node whose agent disconnects is lost: its task runs again elsewhere and status lists the loss', () => {
    const n1 = agent('n1');
    const d = driver();
    send(d, { type: 'submit', task: task('t1') });
    const n2 = agent('n2');
    h.router.onClose(n1);
    h.head.placeNow();
    assert.deepEqual(runs(n2), ['t1']);
    const s = h.readModel.status(null);
    assert.equal(s.nodes.find((n) => n.nodeId === 'n1')?.state, 'DEAD');
    assert.deepEqual(s.failures.map((f) => f.what), ['node n1']);
  });

  it('a node whose heartbeats stop is marked dead and its connection closed; the head node never is', () => {
    const head = agent('head', { CPU: 0 }, 'head');
    const n1 = agent('n1');
    const n2 = agent('n2');
    now += 9_000;
    send(n2, { type: 'heartbeat', nodeId: 'n2' });
    now += 2_000;
    h.head.checkLiveness();
    assert.deepEqual(h.head.nodes.alive().map((n) => n.nodeId).sort(), ['head', 'n2']);
    assert.deepEqual([head.closedWith, n1.closedWith, n2.closedWith], [undefined, 'heartbeats stopped', undefined]);
  });

  it('a node the autoscaler drained and terminated is no failure', () => {
    const n1 = agent('n1');
    h.head.drain('n1');
    h.router.onClose(n1);
    assert.deepEqual(h.readModel.status(null).failures, []);
    assert.equal(h.head.nodes.get('n1')?.state, 'DEAD');
  });

  it('a job\'s end reaches every node once, cancels its work and frees its objects', () => {
    const n1 = agent('n1', { CPU: 1 });
    agent('n2', { CPU: 0 });
    const d = driver();
    send(d, { type: 'submit', task: task('t1') }, { type: 'submit', task: task('t2') });
    send(d, { type: 'put', id: 'd1.p', owner: 'd1', jobId: 'job-0', value: { kind: 'inline', data: new Uint8Array([1]) } });
    h.head.jobEnded('job-0');
    assert.deepEqual(n1.of('job.ended').map((m) => m.jobId), ['job-0']);
    assert.equal(h.head.objects.get('d1.p'), undefined);
    assert.deepEqual(h.head.tasks.counts(), { pending: 0, running: 0, finished: 0, failed: 0 });
  });

  it('dead actors of an ended job leave status DEAD_KEPT_MS after they died; a detached one lives on', () => {
    const n1 = agent('n1', { CPU: 4 });
    const d = driver();
    send(d, { type: 'actor.create', actor: actorSpec('a') }, { type: 'actor.create', actor: actorSpec('keeper', { lifetime: 'detached' }) });
    send(n1, { type: 'actor.ready', actorId: 'd1.a', attempt: 1 }, { type: 'actor.ready', actorId: 'd1.keeper', attempt: 1 });
    h.head.jobEnded('job-0');
    send(n1, { type: 'actor.died', actorId: 'd1.a', attempt: 1, reason: 'was killed by SIGKILL' });
    const actors = () => h.readModel.status(null).actors.map((a) => `${a.actorId.replace(/^d1\./, '')}:${a.state}`);
    for (const step of [0, DEAD_KEPT_MS / 2]) {
      now += step;
      send(n1, { type: 'heartbeat', nodeId: 'n1' });
      h.head.checkLiveness();
      assert.deepEqual(actors(), ['a:DEAD', 'keeper:ALIVE'], `${step} ms on`);
    }
    now += DEAD_KEPT_MS / 2;
    send(n1, { type: 'heartbeat', nodeId: 'n1' });
    h.head.checkLiveness();
    assert.deepEqual(actors(), ['keeper:ALIVE']);
  });

  it('a live config change reaches the node types at once (no more work sent ahead) and the autoscaler; a restart-only change is refused', () => {
    start(clusterConfig({ maxWorkers: 1 }));
    const n1 = agent('n1', { CPU: 1 });
    const d = driver();
    send(d, { type: 'submit', task: task('t1') }, { type: 'submit', task: task('t2') });
    assert.deepEqual(runs(n1), ['t1', 't2'], 'at max_workers, t2 is sent ahead to the busy node');
    const c = cli();
    send(c, { type: 'config.update', reqId: 1, client: 'cli', config: clusterConfig({ maxWorkers: 3 }) });
    assert.deepEqual(c.of('config.updated')[0]?.applied.map((x) => x.path), ['max_workers', 'available_node_types.worker.max_workers']);
    assert.deepEqual(autoscaler.calls.slice(-2), ['reconfigure max_workers=3', 'nudge']);
    assert.equal(h.saved.length, 1);
    send(d, { type: 'submit', task: task('t3') });
    assert.deepEqual(runs(n1), ['t1', 't2'], 'the cluster can grow now: t3 waits where the autoscaler sees it');
    assert.deepEqual(h.readModel.autoscalerFacts().demands, [{ resources: { CPU: 1 }, count: 1 }]);

    send(c, { type: 'config.update', reqId: 2, client: 'cli', config: { ...clusterConfig({ maxWorkers: 3 }), cluster_name: 'other' } });
    assert.match(c.of('config.updated')[1]?.error ?? '', /need a restart of the head: cluster_name/);
    assert.equal(h.saved.length, 1);
  });

  it('workers.down goes to the autoscaler, and says so when the head runs none', async () => {
    const c = cli();
    send(c, { type: 'workers.down', reqId: 4, client: 'cli', keepMinWorkers: true });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(c.of('workers.down.reply').map((m) => [m.reqId, m.terminated, m.error]), [[4, ['w1'], undefined]]);

    const bare = headHarness({ config: clusterConfig(), clock: { now: () => 0 } });
    const c2 = new FakePeer();
    bare.router.onMessages(c2, [{ type: 'hello', role: 'cli', clientId: 'cli' }, { type: 'workers.down', reqId: 5, client: 'cli', keepMinWorkers: false }]);
    assert.deepEqual(c2.of('workers.down.reply').map((m) => m.error), ['this head runs no autoscaler']);
  });

  it('a driver\'s large put goes to the head node\'s agent, a small one stays in the head\'s directory', () => {
    const own = agent('head', { CPU: 0 }, 'head');
    const d = driver();
    send(d, { type: 'put', id: 'd1.big', owner: 'd1', jobId: 'job-0', value: { kind: 'inline', data: new Uint8Array(101) } },
      { type: 'put', id: 'd1.small', owner: 'd1', jobId: 'job-0', value: { kind: 'inline', data: new Uint8Array(100) } });
    assert.deepEqual(own.of('object.store').map((m) => m.id), ['d1.big']);
    send(own, { type: 'object.stored', id: 'd1.big', jobId: 'job-0', size: 101 });
    assert.deepEqual(['d1.big', 'd1.small'].map((id) => h.head.objects.get(id)?.kind), ['stored', 'inline']);
  });

  it('a driver\'s large put stays in the head\'s directory while the head node\'s agent is not connected, or if it goes before it confirms', () => {
    const d = driver();
    send(d, { type: 'put', id: 'd1.big', owner: 'd1', jobId: 'job-0', value: { kind: 'inline', data: new Uint8Array(101) } });
    const own = agent('head', { CPU: 0 }, 'head');
    send(d, { type: 'put', id: 'd1.big2', owner: 'd1', jobId: 'job-0', value: { kind: 'inline', data: new Uint8Array(102) } });
    h.router.onClose(own);
    assert.deepEqual(['d1.big', 'd1.big2'].map((id) => { const v = h.head.objects.get(id); return v?.kind === 'inline' ? v.data.byteLength : v; }), [101, 102]);
  });

  it('work for a placement group none of whose bundles could hold it fails at once (a task) or is warned about (an actor)', () => {
    agent('n1', { CPU: 4 });
    const d = driver();
    send(d, { type: 'pg.create', pg: { pgId: 'd1.g', jobId: 'job-0', owner: 'd1', strategy: 'PACK', bundles: [toFixed({ CPU: 1 })] } });
    assert.deepEqual(d.of('pg.state').map((m) => m.state), ['CREATED']);
    send(d, { type: 'submit', task: task('t1', { placement: { pgId: 'd1.g', bundleIndex: 0 }, resources: toFixed({ CPU: 2 }) }) },
      { type: 'actor.create', actor: actorSpec('a', { placement: { pgId: 'd1.g', bundleIndex: -1 }, place: toFixed({ CPU: 3 }) }) });
    const v = h.head.objects.get('d1.t1.r');
    assert.match(v?.kind === 'error' ? v.error.message : '', /t1 needs \{CPU: 2\}, more than bundle 0 of placement group d1.g holds/);
    assert.match(d.of('warning')[0]?.message ?? '', /C needs \{CPU: 3\}, more than any bundle of placement group d1.g holds/);
    assert.deepEqual(h.readModel.status(null).failures.map((f) => `${f.kind} ${f.what}`), ['placement C'], 'the actor\'s is listed (the task\'s error goes to its caller)');
  });

  it('a node type declared without resources is planned with its first node\'s', () => {
    start(clusterConfig({ workerResources: {} }));
    assert.deepEqual(h.head.nodeTypes.resourcesOf('worker'), {});
    agent('n1', { CPU: 8, GPU: 1 });
    assert.deepEqual(h.head.nodeTypes.resourcesOf('worker'), { CPU: 8, GPU: 1 });
  });

  it('request_resources is kept for the autoscaler and status', () => {
    const d = driver();
    send(d, { type: 'resources.request', jobId: 'job-0', bundles: [{ CPU: 4 }] });
    assert.deepEqual(h.readModel.autoscalerFacts().requested, [{ resources: { CPU: 4 }, count: 1 }]);
    assert.deepEqual(h.readModel.status(null).requestedResources, [{ CPU: 4 }]);
  });

  it('log lines of a job reach its drivers; a query is answered with status', () => {
    const n1 = agent('n1');
    h.jobs.running.add('job-5');
    const d = new FakePeer();
    send(d, { type: 'hello', role: 'driver', clientId: 'd5', jobId: 'job-5' });
    send(n1, { type: 'hello', role: 'worker', clientId: 'n1.w0', jobId: 'job-5', nodeId: 'n1' });
    send(n1, { type: 'log', jobId: 'job-5', source: 'task', nodeId: 'n1', pid: 1, stream: 'stdout', text: 'hi\n' });
    assert.deepEqual(d.of('log').map((m) => m.text), ['hi\n']);
    send(d, { type: 'query', reqId: 3, client: 'd5' });
    const reply = d.of('query.reply')[0];
    assert.deepEqual([reply?.reqId, reply?.status.clusterName, reply?.status.nodes.length, reply?.status.autoscaler?.errors], [3, 'sim', 1, 0]);
  });
});
