import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { type Fixed, toFixed } from '../../../src/common/resources.js';
import { busyReasons } from '../../../src/head/busy.js';
import { FailureLog } from '../../../src/head/failures.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { NodeTable } from '../../../src/head/nodes.js';
import { ObjectDirectory } from '../../../src/head/objects.js';
import { ClusterReadModel, type ReadSources } from '../../../src/head/read-model.js';
import type { ActorView, AutoscalerView, DemandView, PlacementGroupView } from '../../../src/protocol/messages.js';

/** The tables the read model reads: real node table and object directory, the rest as fixed answers. */
function sources() {
  const nodes = new NodeTable(memoryStore());
  const objects = new ObjectDirectory(() => undefined);
  const actorNodes = new Set<string>();
  const pendingActors: Fixed[] = [];
  const taskDemands: DemandView[] = [];
  const groupDemands: DemandView[] = [];
  const groupViews: PlacementGroupView[] = [];
  const failures = new FailureLog({ now: () => 5 });
  const runningTasks = new Map<string, number>();
  const actorViews: ActorView[] = [];
  const workers = new Map<string, { clientId: string; jobId: string }[]>();
  const s = {
    nodes, objects, failures,
    tasks: { demands: () => taskDemands, counts: () => ({ pending: 1, running: 2, finished: 3, failed: 4 }), runningByNode: () => runningTasks },
    actors: { pendingShapes: () => pendingActors, views: () => actorViews, nodesInUse: () => actorNodes },
    groups: {
      demands: () => groupDemands, views: () => groupViews,
      pending: () => groupDemands.map(() => ({ id: 'g', strategy: 'PACK' as const, bundles: [{ resources: { CPU: 1 }, count: 1 }] })),
    },
    nodeTypes: { shapes: () => [toFixed({ CPU: 4 })] },
    relay: { relayedBytes: 99 },
    peers: { workersByNode: () => workers },
    requested: [{ CPU: 8 }],
  } satisfies ReadSources;
  return { s, nodes, objects, actorNodes, pendingActors, taskDemands, groupDemands, failures, runningTasks, actorViews, workers };
}

const view: AutoscalerView = { events: [], pending: [], nodes: [], launching: [], errors: 0 };

describe('cluster read model (ClusterReadModel)', () => {
  let src: ReturnType<typeof sources>;
  let model: ClusterReadModel;

  beforeEach(() => {
    src = sources();
    model = new ClusterReadModel({ clusterName: 'c', address: 'h:1', cluster: src.s, jobs: { list: () => [] } });
  });
  const addNode = (id: string, cpu: number) => src.nodes.register({ nodeId: id, nodeType: 'w', kind: 'worker', address: '', pid: 1, resources: { CPU: cpu } }, 0);

  // In order of precedence: taken resources, then an actor, then stored objects.
  const BUSY: [string, (n: string) => void, string | undefined, string | undefined][] = [
    ['an idle node is not busy', () => undefined, undefined, undefined],
    ['a node with resources taken runs work', (n) => { src.nodes.acquire(n, toFixed({ CPU: 1 })); src.actorNodes.add(n); }, 'running-work', 'running work'],
    ['a node with a live actor hosts it', (n) => { src.actorNodes.add(n); }, 'hosts-actor', 'hosts an actor'],
    ['a node storing an object holds it', (n) => src.objects.set('o', { kind: 'stored', nodeId: n, size: 1, address: '' }, 'j'), 'holds-objects', 'holds objects a job may still need'],
  ];
  for (const [title, make, code, text] of BUSY) {
    it(`busy reasons: ${title}, as a code and a text, the same in the snapshot and the autoscaler's facts`, () => {
      addNode('a', 2);
      make('a');
      const [snap] = model.snapshot().nodes;
      assert.deepEqual(snap?.busy && { ...snap.busy }, code ? { code, text } : undefined);
      assert.equal(model.autoscalerFacts().nodes[0]?.busy, text);
      assert.deepEqual(busyReasons(src.actorNodes, src.objects.holders())(src.nodes.get('a') ?? assert.fail())?.code, code);
    });
  }

  it('status and the autoscaler\'s facts list the same nodes and the same pending work (groups as groups for the autoscaler)', () => {
    addNode('a', 2);
    addNode('b', 1);
    src.nodes.markDead('b', 7);
    src.taskDemands.push({ resources: { CPU: 1 }, count: 3, infeasible: false, source: 'task' });
    src.pendingActors.push(toFixed({ CPU: 1 }), toFixed({ CPU: 1 }), toFixed({ CPU: 16 }));
    src.groupDemands.push({ resources: { CPU: 1 }, count: 1, infeasible: false, source: 'placement_group', strategy: 'PACK' });
    const status = model.status(view);
    const facts = model.autoscalerFacts();
    assert.deepEqual(status.nodes.map((n) => [n.nodeId, n.state]), [['a', 'ALIVE'], ['b', 'DEAD']]);
    assert.deepEqual(facts.nodes.map((n) => [n.nodeId, n.alive, n.diedAt]), [['a', true, undefined], ['b', false, 7]]);
    assert.deepEqual(status.demands.map((d) => [d.source, d.count, d.infeasible]), [['task', 3, false], ['actor', 2, false], ['actor', 1, true], ['placement_group', 1, false]]);
    assert.deepEqual(facts.demands, [{ resources: { CPU: 1 }, count: 3 }, { resources: { CPU: 1 }, count: 2 }, { resources: { CPU: 16 }, count: 1 }]);
    assert.deepEqual(facts.placementGroups.map((g) => g.id), ['g']);
    assert.deepEqual(facts.requested, [{ resources: { CPU: 8 }, count: 1 }]);
  });

  it('status carries the rest of the cluster: counts, failures, requested capacity, relayed bytes and the autoscaler\'s view', () => {
    src.failures.record({ kind: 'lost', what: 'node x', message: 'died\nstack', nodeId: 'x' });
    const s = model.status(view);
    assert.deepEqual([s.clusterName, s.headAddress, s.tasks, s.requestedResources, s.relayedBytes, s.autoscaler],
      ['c', 'h:1', { pending: 1, running: 2, finished: 3, failed: 4 }, [{ CPU: 8 }], 99, view]);
    assert.deepEqual(s.failures, [{ at: 5, kind: 'lost', what: 'node x', message: 'died', nodeId: 'x' }]);
    assert.equal(model.status(null).autoscaler, null);
  });

  it('free resources below zero (work sent ahead) read as zero', () => {
    addNode('a', 1);
    src.nodes.acquire('a', toFixed({ CPU: 2 }));
    assert.deepEqual(model.autoscalerFacts().nodes[0]?.available, { CPU: 0 });
    assert.deepEqual(model.status(null).nodes[0]?.available, { CPU: 0 });
  });

  it('the dashboard\'s view adds to status each node\'s running tasks, stored objects, live actors and busy reason, and a dead actor\'s last error', () => {
    addNode('a', 2);
    addNode('b', 2);
    src.runningTasks.set('a', 2);
    src.objects.set('o1', { kind: 'stored', nodeId: 'b', size: 1, address: '' }, 'j');
    src.objects.set('o2', { kind: 'stored', nodeId: 'b', size: 1, address: '' }, 'j');
    const actor = (actorId: string, state: ActorView['state'], nodeId: string): ActorView => ({
      actorId, cls: 'Counter', name: null, namespace: 'j', jobId: 'j', state, nodeId, restarts: 0, resources: {}, placementGroupId: null,
    });
    src.actorViews.push(actor('live', 'ALIVE', 'a'), actor('dead', 'DEAD', 'b'));
    src.actorNodes.add('a');
    src.failures.record({ kind: 'actor-died', what: 'Counter', message: 'the constructor threw: boom\nstack', nodeId: 'b' });
    src.workers.set('a', [{ clientId: 'w-a1', jobId: 'j' }]);
    const d = model.dashboard(view);
    assert.deepEqual(d.status, model.status(view));
    assert.deepEqual(d.nodeDetails, [
      { nodeId: 'a', busy: 'hosts an actor', tasksRunning: 2, objectsHeld: 0, actors: 1, workers: [{ clientId: 'w-a1', jobId: 'j' }] },
      { nodeId: 'b', busy: 'holds objects a job may still need', tasksRunning: 0, objectsHeld: 2, actors: 0, workers: [] },
    ]);
    assert.deepEqual(d.actorErrors, { dead: 'the constructor threw: boom' });
  });
});
