import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { ActorManager } from '../../../src/head/actors.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { NodeTable } from '../../../src/head/nodes.js';
import { ObjectDirectory } from '../../../src/head/objects.js';
import type { ActorCall, ActorSpec, Message, ObjectValue } from '../../../src/protocol/messages.js';
import { nodeSlots } from '../../helpers/node-slots.js';

const inline = (n: number): ObjectValue => ({ kind: 'inline', data: new Uint8Array([n]) });

function actor(id: string, o: Partial<ActorSpec> = {}): ActorSpec {
  return {
    actorId: id, jobId: 'job', owner: 'driver', cls: 'C', name: 'C', methods: ['m'], ctorArgs: [], deps: [],
    place: toFixed({ CPU: 1 }), hold: toFixed({}), maxRestarts: 0, maxTaskRetries: 0, maxConcurrency: 1, namespace: 'ns', lifetime: 'job', ...o,
  };
}

const call = (actorId: string, n: number, o: Partial<ActorCall> = {}): ActorCall => ({
  callId: `c${n}`, actorId, jobId: 'job', owner: 'driver', method: 'm', args: [], deps: [], returnId: `c${n}.r`, ...o,
});

describe('actor lifecycle (ActorManager)', () => {
  let nodes: NodeTable;
  let objects: ObjectDirectory;
  let actors: ActorManager;
  let sent: { nodeId: string; m: Message }[];
  let failures: string[];

  beforeEach(() => {
    nodes = new NodeTable(memoryStore());
    objects = new ObjectDirectory(() => undefined);
    sent = [];
    failures = [];
    const slots = nodeSlots(nodes);
    actors = new ActorManager({ objects, slots, send: (nodeId, m) => sent.push({ nodeId, m }), failed: (f) => failures.push(`${f.what}: ${f.message}`), resourcesFreed: () => actors.place() });
  });

  const addNode = (id: string, cpu: number) => nodes.register({ nodeId: id, nodeType: 'w', kind: 'worker', address: '', pid: 1, resources: { CPU: cpu } }, 0);
  const runs = () => sent.filter((s) => s.m.type === 'actor.run').map((s) => (s.m.type === 'actor.run' ? s.m.call.callId : ''));
  const errorKind = (id: string) => { const v = objects.get(id); return v?.kind === 'error' ? v.error.kind : v?.kind; };

  it('needs 1 CPU free to be placed but holds none unless asked', () => {
    addNode('n1', 1);
    actors.create(actor('a'));
    assert.equal(sent[0]?.m.type, 'actor.start');
    assert.deepEqual(nodes.get('n1')?.available, toFixed({ CPU: 1 }));
    actors.create(actor('b', { place: toFixed({ CPU: 1 }), hold: toFixed({ CPU: 1 }) }));
    assert.equal(nodes.get('n1')?.available.CPU ?? 0, 0);
  });

  it('delivers one caller\'s calls in order, holding later calls behind an earlier call\'s argument', () => {
    addNode('n1', 1);
    actors.create(actor('a'));
    actors.ready('a', 1);
    actors.call(call('a', 1, { deps: ['slow'] }));
    actors.call(call('a', 2));
    assert.deepEqual(runs(), []);
    objects.set('slow', inline(1), 'job');
    assert.deepEqual(runs(), ['c1', 'c2']);
  });

  it('another caller is not held up by the first one\'s pending argument', () => {
    addNode('n1', 1);
    actors.create(actor('a'));
    actors.ready('a', 1);
    actors.call(call('a', 1, { deps: ['slow'] }));
    actors.call(call('a', 2, { owner: 'other' }));
    assert.deepEqual(runs(), ['c2']);
  });

  it('restarts within maxRestarts; calls in flight fail with ActorDiedError', () => {
    addNode('n1', 1);
    actors.create(actor('a', { maxRestarts: 1 }));
    actors.ready('a', 1);
    actors.call(call('a', 1));
    actors.died('a', 1, 'exited with code 1');
    assert.equal(errorKind('c1.r'), 'actor-died');
    assert.equal(sent.filter((s) => s.m.type === 'actor.start').length, 2);
    actors.ready('a', 2);
    actors.call(call('a', 2));
    actors.died('a', 2, 'exited with code 1');
    assert.equal(errorKind('c2.r'), 'actor-died');
    actors.call(call('a', 3));
    assert.equal(errorKind('c3.r'), 'actor-died', 'no restarts left: dead');
  });

  it('with maxTaskRetries, calls in flight are delivered again after the restart, in order', () => {
    addNode('n1', 1);
    actors.create(actor('a', { maxRestarts: 1, maxTaskRetries: 1 }));
    actors.ready('a', 1);
    actors.call(call('a', 1));
    actors.call(call('a', 2));
    actors.died('a', 1, 'was killed');
    actors.call(call('a', 3));
    actors.ready('a', 2);
    assert.deepEqual(runs(), ['c1', 'c2', 'c1', 'c2', 'c3']);
    actors.done('c1', 'a', 1, inline(9)); // a reply from the dead incarnation is ignored
    assert.equal(objects.get('c1.r'), undefined);
    actors.done('c1', 'a', 2, inline(1));
    assert.deepEqual(objects.get('c1.r'), inline(1));
  });

  it('a name is unique among live actors of a namespace, and free again once its actor died', () => {
    addNode('n1', 4);
    actors.create(actor('a', { actorName: 'x' }));
    actors.create(actor('b', { actorName: 'x' }));
    actors.call(call('b', 1));
    assert.equal(errorKind('c1.r'), 'name-taken');
    actors.create(actor('c', { actorName: 'x', namespace: 'other' }));
    assert.equal(actors.lookup('x', 'other')?.actorId, 'c');
    actors.kill('a', true, 'job');
    actors.died('a', 1, 'was killed');
    assert.equal(actors.lookup('x', 'ns'), null);
    actors.create(actor('d', { actorName: 'x' }));
    assert.equal(actors.lookup('x', 'ns')?.actorId, 'd');
  });

  it('a killed actor does not restart; calls after the kill fail', () => {
    addNode('n1', 1);
    actors.create(actor('a', { maxRestarts: 5 }));
    actors.ready('a', 1);
    actors.kill('a', true, 'job');
    actors.call(call('a', 1));
    actors.died('a', 1, 'was killed by SIGKILL');
    assert.equal(errorKind('c1.r'), 'actor-died');
    assert.equal(sent.filter((s) => s.m.type === 'actor.start').length, 1);
  });

  it('an actor on a node that dies restarts on another node', () => {
    addNode('n1', 1);
    actors.create(actor('a', { maxRestarts: 1 }));
    addNode('n2', 1);
    nodes.markDead('n1', 1);
    actors.nodeDied('n1');
    const starts = sent.filter((s) => s.m.type === 'actor.start').map((s) => s.nodeId);
    assert.deepEqual(starts, ['n1', 'n2']);
  });

  it('a job that ends kills its actors but not detached ones', () => {
    addNode('n1', 4);
    actors.create(actor('a'));
    actors.create(actor('d', { lifetime: 'detached' }));
    actors.ready('a', 1);
    actors.ready('d', 1);
    actors.jobEnded('job');
    assert.deepEqual(sent.filter((s) => s.m.type === 'actor.stop').map((s) => (s.m.type === 'actor.stop' ? s.m.actorId : '')), ['a']);
  });

  describe('forgetting dead actors (prune)', () => {
    const KEEP = 60_000;
    const listed = () => actors.views().map((v) => `${v.actorId}:${v.state}`).sort();

    it('dead actors of an ended job are forgotten once they have been dead a while; detached and live ones stay', () => {
      addNode('n1', 4);
      actors.create(actor('a'));
      actors.create(actor('named', { actorName: 'x' }));
      actors.create(actor('d', { lifetime: 'detached', actorName: 'keeper' }));
      actors.create(actor('other', { jobId: 'job2' }));
      for (const id of ['a', 'named', 'd', 'other']) actors.ready(id, 1);
      actors.call(call('a', 1));
      actors.died('other', 1, 'exited with code 1'); // dead, but its job still runs
      actors.jobEnded('job');
      actors.died('a', 1, 'was killed by SIGKILL');
      actors.died('named', 1, 'was killed by SIGKILL');
      actors.prune(1_000, KEEP);
      assert.deepEqual(listed(), ['a:DEAD', 'd:ALIVE', 'named:DEAD', 'other:DEAD'], 'status still lists them for a while');
      actors.prune(1_000 + KEEP - 1, KEEP);
      assert.equal(listed().length, 4);
      actors.prune(1_000 + KEEP, KEEP);
      assert.deepEqual(listed(), ['d:ALIVE', 'other:DEAD']);
      assert.equal(actors.lookup('keeper', 'ns')?.actorId, 'd');
      assert.equal(actors.cancel('c1.r'), false, 'the forgotten actor\'s calls are forgotten too');
    });

    it('a detached actor of an ended job is forgotten only once it has died, a while later', () => {
      addNode('n1', 4);
      actors.create(actor('d', { lifetime: 'detached' }));
      actors.ready('d', 1);
      actors.jobEnded('job');
      actors.prune(0, KEEP);
      actors.prune(10 * KEEP, KEEP);
      assert.deepEqual(listed(), ['d:ALIVE']);
      actors.kill('d', true, 'job2');
      actors.died('d', 1, 'was killed by SIGKILL');
      actors.prune(10 * KEEP, KEEP);
      assert.deepEqual(listed(), ['d:DEAD']);
      actors.prune(11 * KEEP, KEEP);
      assert.deepEqual(listed(), []);
    });
  });

  it('removing a placement group kills the actors in it for good, saying why; others live on', () => {
    addNode('n1', 4);
    const inGroup = { pgId: 'pg1', bundleIndex: 0 };
    actors.create(actor('in', { placement: inGroup, maxRestarts: 3 }));
    actors.create(actor('waiting', { placement: { pgId: 'pg1', bundleIndex: 1 }, place: toFixed({ CPU: 9 }) }));
    actors.create(actor('out'));
    actors.ready('in', 1);
    actors.call(call('in', 1));
    actors.killGroup('pg1', 'its placement group pg1 was removed', 'job');
    assert.deepEqual(sent.filter((s) => s.m.type === 'actor.stop').map((s) => (s.m.type === 'actor.stop' ? s.m.actorId : '')), ['in']);
    actors.died('in', 1, 'was stopped');
    const state = (id: string) => actors.views().find((v) => v.actorId === id)?.state;
    assert.deepEqual([state('in'), state('waiting'), state('out')], ['DEAD', 'DEAD', 'PENDING']);
    const v = objects.get('c1.r');
    assert.equal(v?.kind === 'error' ? v.error.message : v?.kind, 'actor C was killed: its placement group pg1 was removed');
  });

  describe('which deaths status lists as failures', () => {
    // Each case: an actor of job "job" (alive on n1 unless `pending`), what happens to it, and what is listed.
    const CASES: { name: string; spec?: Partial<ActorSpec>; pending?: boolean; act: () => void; listed: string[] }[] = [
      { name: 'kill() by its own job is not', act: () => { actors.kill('a', true, 'job'); actors.died('a', 1, 'was killed by SIGKILL'); }, listed: [] },
      { name: 'kill() by its own job before it was placed is not', pending: true, act: () => actors.kill('a', true, 'job'), listed: [] },
      { name: 'kill(noRestart: false) by its own job restarts it and is not', spec: { maxRestarts: 1 },
        act: () => { actors.kill('a', false, 'job'); actors.died('a', 1, 'was killed by SIGKILL'); }, listed: [] },
      { name: 'a crash after its own job restarted it is', spec: { maxRestarts: 1 },
        act: () => { actors.kill('a', false, 'job'); actors.died('a', 1, 'was killed by SIGKILL'); actors.ready('a', 2); actors.died('a', 2, 'exited with code 1'); },
        listed: ['C: actor C died: its worker process exited with code 1'] },
      { name: 'its job ending is not', act: () => { actors.jobEnded('job'); actors.died('a', 1, 'was killed by SIGKILL'); }, listed: [] },
      { name: 'its group removed by its own job is not', spec: { placement: { pgId: 'pg1', bundleIndex: 0 } },
        act: () => { actors.killGroup('pg1', 'its placement group pg1 was removed', 'job'); actors.died('a', 1, 'was killed by SIGKILL'); }, listed: [] },
      { name: 'kill() by another job is', act: () => { actors.kill('a', true, 'other'); actors.died('a', 1, 'was killed by SIGKILL'); }, listed: ['C: actor C was killed'] },
      { name: 'its group removed by another job is', spec: { placement: { pgId: 'pg1', bundleIndex: 0 } },
        act: () => { actors.killGroup('pg1', 'its placement group pg1 was removed', 'other'); actors.died('a', 1, 'was killed by SIGKILL'); },
        listed: ['C: actor C was killed: its placement group pg1 was removed'] },
      { name: 'its process exiting is', act: () => actors.died('a', 1, 'exited with code 3'), listed: ['C: actor C died: its worker process exited with code 3'] },
      { name: 'its process exiting with restarts left is (restarting)', spec: { maxRestarts: 2 }, act: () => actors.died('a', 1, 'exited with code 3'),
        listed: ['C: actor C died: its worker process exited with code 3; restarting (1/2)'] },
    ];
    for (const c of CASES) {
      it(c.name, () => {
        addNode('n1', c.pending ? 0 : 1);
        actors.create(actor('a', c.spec));
        if (!c.pending) actors.ready('a', 1);
        c.act();
        assert.deepEqual(failures, c.listed);
      });
    }
  });
});
