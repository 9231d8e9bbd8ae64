import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { NodeTable } from '../../../src/head/nodes.js';
import { ObjectDirectory } from '../../../src/head/objects.js';
import { TaskManager } from '../../../src/head/tasks.js';
import type { MessageOf, ObjectValue, TaskSpec } from '../../../src/protocol/messages.js';
import { nodeSlots } from '../../helpers/node-slots.js';

const tick = () => new Promise((r) => setImmediate(r));
const inline = (n: number): ObjectValue => ({ kind: 'inline', data: new Uint8Array([n]) });

function spec(id: string, o: Partial<TaskSpec> = {}): TaskSpec {
  return {
    taskId: id, jobId: 'job-1', owner: 'driver', fn: 'f', name: id, args: [], deps: [], returnId: `${id}.r`,
    resources: toFixed({ CPU: 1 }), maxRetries: 3, retryExceptions: false, ...o,
  };
}

describe('task lifecycle (TaskManager)', () => {
  let nodes: NodeTable;
  let objects: ObjectDirectory;
  let tasks: TaskManager;
  let runs: { nodeId: string; m: MessageOf<'task.run'> }[];
  let warnings: string[];
  let pushed: { client: string; id: string; value: ObjectValue }[];
  let killed: string[];

  beforeEach(() => {
    nodes = new NodeTable(memoryStore());
    pushed = [];
    objects = new ObjectDirectory((client, id, value) => pushed.push({ client, id, value }));
    runs = [];
    warnings = [];
    const slots = nodeSlots(nodes);
    killed = [];
    tasks = new TaskManager({
      objects, nodes, slots, runOn: (nodeId, m) => runs.push({ nodeId, m }), warn: (_c, msg) => warnings.push(msg),
      kill: (nodeId, taskId) => killed.push(`${nodeId}/${taskId}`), failed: () => undefined, freed: () => tasks.schedule(),
      nodeTypes: () => [{ name: 'worker', resources: toFixed({ CPU: 2 }) }],
    });
  });

  const addNode = (id: string, cpu: number) => nodes.register({ nodeId: id, nodeType: 'worker', kind: 'worker', address: '', pid: 1, resources: { CPU: cpu } }, 0);

  it('runs a task on a node with room and publishes its result', async () => {
    addNode('n1', 2);
    tasks.submit(spec('t1'));
    objects.subscribe('driver', 't1.r');
    await tick();
    assert.equal(runs.length, 1);
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 1 }));
    tasks.done('t1', 1, inline(7));
    assert.deepEqual(pushed.map((p) => p.id), ['t1.r']);
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 2 }));
  });

  it('waits for its top-level ref arguments, then runs with their values', async () => {
    addNode('n1', 2);
    tasks.submit(spec('t2', { deps: ['x'] }));
    await tick();
    assert.equal(runs.length, 0);
    objects.set('x', inline(1), 'job-1');
    await tick();
    assert.deepEqual(Object.keys(runs[0]?.m.deps ?? {}), ['x']);
  });

  it('fails without running when an argument failed, with the same error', async () => {
    addNode('n1', 2);
    const err: ObjectValue = { kind: 'error', error: { kind: 'task', name: 'Error', message: 'boom', stack: '', taskName: 'up', nodeId: 'n1', pid: 1 } };
    objects.set('bad', err, 'job-1');
    tasks.submit(spec('t3', { deps: ['bad'] }));
    await tick();
    assert.equal(runs.length, 0);
    assert.deepEqual(objects.get('t3.r'), err);
  });

  it('queues what fits no node now as a pending demand, and places it when room appears', async () => {
    addNode('n1', 1);
    tasks.submit(spec('a'));
    tasks.submit(spec('b'));
    await tick();
    assert.equal(runs.length, 1);
    assert.deepEqual(tasks.demands(), [{ resources: { CPU: 1 }, count: 1, infeasible: false, source: 'task' }]);
    tasks.done('a', 1, inline(1));
    await tick();
    assert.equal(runs.length, 2);
  });

  it('warns the owner once when no node type could ever run the request', async () => {
    addNode('n1', 2);
    tasks.submit(spec('g1', { resources: toFixed({ CPU: 1, GPU: 1 }) }));
    tasks.submit(spec('g2', { resources: toFixed({ CPU: 1, GPU: 1 }) }));
    await tick();
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /needs \{CPU: 1, GPU: 1\}, which no node type of this cluster offers \(worker \{CPU: 2\}\)/);
    assert.deepEqual(tasks.demands(), [{ resources: { CPU: 1, GPU: 1 }, count: 2, infeasible: true, source: 'task' }]);
  });

  it('retries a crashed task up to maxRetries, then fails it with WorkerCrashedError', async () => {
    addNode('n1', 2);
    tasks.submit(spec('c', { maxRetries: 1 }));
    await tick();
    tasks.crashed('c', 1, 'exited with code 1', 42);
    await tick();
    assert.equal(runs.length, 2);
    assert.equal(runs[1]?.m.attempt, 2);
    tasks.crashed('c', 2, 'exited with code 1', 43);
    const v = objects.get('c.r');
    assert.equal(v?.kind === 'error' && v.error.kind, 'crashed');
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 2 }));
  });

  it('retries user exceptions only with retryExceptions', async () => {
    addNode('n1', 2);
    const fail: ObjectValue = { kind: 'error', error: { kind: 'task', name: 'Error', message: 'x', stack: '', taskName: 'r', nodeId: 'n1', pid: 1 } };
    tasks.submit(spec('r', { retryExceptions: true, maxRetries: 1 }));
    tasks.submit(spec('s'));
    await tick();
    tasks.done('r', 1, fail);
    tasks.done('s', 1, fail);
    await tick();
    assert.deepEqual(runs.map((r) => r.m.task.taskId), ['r', 's', 'r']);
    assert.deepEqual(objects.get('s.r'), fail);
  });

  it('ignores a result from an attempt that is no longer current', async () => {
    addNode('n1', 2);
    tasks.submit(spec('old'));
    await tick();
    tasks.crashed('old', 1, 'x', 1);
    await tick();
    tasks.done('old', 1, inline(1));
    assert.equal(objects.get('old.r'), undefined);
    tasks.done('old', 2, inline(2));
    assert.deepEqual(objects.get('old.r'), inline(2));
  });

  it('lends a blocked task\'s CPU back to its node until it resumes', async () => {
    addNode('n1', 1);
    tasks.submit(spec('outer'));
    await tick();
    tasks.blocked('outer');
    tasks.submit(spec('inner'));
    await tick();
    assert.deepEqual(runs.map((r) => r.m.task.taskId), ['outer', 'inner']);
    tasks.done('inner', 1, inline(1));
    tasks.unblocked('outer');
    tasks.done('outer', 1, inline(2));
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 1 }));
  });

  it('retries the running tasks of a dead node on another node', async () => {
    addNode('n1', 1);
    tasks.submit(spec('t'));
    await tick();
    addNode('n2', 1);
    nodes.markDead('n1', 1);
    tasks.nodeDied('n1');
    await tick();
    assert.deepEqual(runs.map((r) => r.nodeId), ['n1', 'n2']);
  });

  const cancelled = (id: string) => {
    const v = objects.get(id);
    return v?.kind === 'error' && v.error.kind === 'cancelled';
  };

  it('cancel removes a queued task, and get() would see TaskCancelledError', async () => {
    addNode('n1', 1);
    tasks.submit(spec('busy'));
    tasks.submit(spec('queued'));
    await tick();
    assert.equal(tasks.cancel('queued.r', false, true), true);
    tasks.done('busy', 1, inline(1));
    await tick();
    assert.deepEqual(runs.map((r) => r.m.task.taskId), ['busy']);
    assert.ok(cancelled('queued.r'));
  });

  it('cancel with force kills the worker process of a running task and frees its resources', async () => {
    addNode('n1', 1);
    tasks.submit(spec('long'));
    await tick();
    tasks.cancel('long.r', true, true);
    assert.deepEqual(killed, ['n1/long']);
    assert.ok(cancelled('long.r'));
    tasks.crashed('long', 1, 'killed by SIGKILL', 9); // the kill's crash report changes nothing
    assert.ok(cancelled('long.r'));
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 1 }));
  });

  it('cancel without force leaves a running task running (its result is dropped)', async () => {
    addNode('n1', 1);
    tasks.submit(spec('long'));
    await tick();
    tasks.cancel('long.r', false, true);
    assert.deepEqual(killed, []);
    assert.ok(cancelled('long.r'));
  });

  it('a recursive cancel reaches the tasks a task submitted', async () => {
    addNode('n1', 4);
    tasks.submit(spec('parent'));
    tasks.submit(spec('child', { parent: 'parent' }));
    tasks.submit(spec('grandchild', { parent: 'child', deps: ['never'] }));
    await tick();
    tasks.cancel('parent.r', true, true);
    assert.ok(cancelled('parent.r') && cancelled('child.r') && cancelled('grandchild.r'));
  });

  it('a job that ends drops its queued tasks and frees its resources', async () => {
    addNode('n1', 1);
    tasks.submit(spec('run'));
    tasks.submit(spec('queued'));
    await tick();
    tasks.cancelJob('job-1');
    await tick();
    assert.equal(runs.length, 1);
    assert.deepEqual(tasks.counts(), { pending: 0, running: 0, finished: 0, failed: 0 });
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 1 }));
  });

  it('removing a placement group cancels its tasks: queued ones at once, running ones by killing their process', async () => {
    addNode('n1', 1);
    const pg = { pgId: 'pg1', bundleIndex: 0 };
    tasks.submit(spec('running', { placement: pg }));
    tasks.submit(spec('queued', { placement: pg }));
    tasks.submit(spec('other'));
    for (const id of ['running', 'queued', 'other']) objects.subscribe('driver', `${id}.r`);
    await tick();
    assert.deepEqual(runs.map((r) => r.m.task.taskId), ['running']);
    tasks.cancelGroup('pg1', 'its placement group pg1 was removed');
    assert.deepEqual(killed, ['n1/running']);
    const message = (id: string) => { const v = objects.get(`${id}.r`); return v?.kind === 'error' ? `${v.error.name}: ${v.error.message}` : v?.kind; };
    assert.equal(message('running'), 'TaskCancelledError: task running was cancelled: its placement group pg1 was removed');
    assert.equal(message('queued'), 'TaskCancelledError: task queued was cancelled: its placement group pg1 was removed');
    await tick();
    assert.deepEqual(runs.map((r) => r.m.task.taskId), ['running', 'other'], 'the freed CPU goes to the next task');
  });
});
