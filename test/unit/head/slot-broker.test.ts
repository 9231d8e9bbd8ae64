import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { type Fixed, toFixed } from '../../../src/common/resources.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { NodeTable } from '../../../src/head/nodes.js';
import { NodeTypes } from '../../../src/head/node-types.js';
import { PlacementGroups } from '../../../src/head/placement-groups.js';
import { SlotBroker, withPrefetch } from '../../../src/head/slot-broker.js';
import type { Slot } from '../../../src/head/slots.js';

const config = (maxWorkers: number) => applyDefaults({
  provider: { type: 'process' }, max_workers: maxWorkers, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, worker: { resources: { CPU: 2 }, min_workers: 0, max_workers: maxWorkers } },
});

describe('slot broker (SlotBroker)', () => {
  let nodes: NodeTable;
  let groups: PlacementGroups;
  let types: NodeTypes;
  let broker: SlotBroker;

  beforeEach(() => {
    nodes = new NodeTable(memoryStore());
    types = new NodeTypes(config(0));
    groups = new PlacementGroups({
      nodes, notify: () => undefined, limits: () => ({ shapes: types.shapes(), maxNodes: 4 }), resourcesFreed: () => undefined, removed: () => undefined,
    });
    broker = new SlotBroker({ nodes, bundles: groups, nodeTypes: types });
  });
  const addNode = (id: string, cpu: number) => nodes.register({ nodeId: id, nodeType: 'worker', kind: 'worker', address: '', pid: 1, resources: { CPU: cpu } }, 0);
  const cpu = (f: Fixed | undefined) => (f?.CPU ?? 0) / (toFixed({ CPU: 1 }).CPU ?? 1);

  it('a node slot takes from and gives back to its node', () => {
    addNode('a', 2);
    const slot: Slot = { kind: 'node', nodeId: 'a' };
    broker.acquire(slot, toFixed({ CPU: 1 }));
    assert.equal(cpu(nodes.get('a')?.available), 1);
    broker.release(slot, toFixed({ CPU: 1 }));
    assert.equal(cpu(nodes.get('a')?.available), 2);
    assert.equal(broker.nodeOf(slot), 'a');
  });

  it('a bundle slot takes from its bundle, never from the node (whatever the node or group is called)', () => {
    addNode('a#0', 2);
    groups.create({ pgId: 'a', jobId: 'j', owner: 'd', strategy: 'PACK', bundles: [toFixed({ CPU: 1 })] });
    const [c] = broker.candidates({ pgId: 'a', bundleIndex: 0 });
    assert.deepEqual(c?.slot, { kind: 'bundle', pgId: 'a', index: 0 });
    assert.equal(c?.nodeId, 'a#0');
    broker.acquire(c?.slot ?? assert.fail('no bundle slot'), toFixed({ CPU: 1 }));
    assert.equal(cpu(broker.candidates({ pgId: 'a', bundleIndex: 0 })[0]?.available), 0);
    assert.equal(cpu(nodes.get('a#0')?.available), 1, 'the node gave the bundle its CPU once, at reservation');
    assert.equal(broker.nodeOf({ kind: 'bundle', pgId: 'a', index: 0 }), 'a#0');
  });

  it('a slot on a node that is no longer alive, or in a removed group, is gone', () => {
    addNode('a', 2);
    groups.create({ pgId: 'g', jobId: 'j', owner: 'd', strategy: 'PACK', bundles: [toFixed({ CPU: 1 })] });
    groups.remove('g', 'j');
    nodes.markDraining('a');
    assert.equal(broker.nodeOf({ kind: 'node', nodeId: 'a' }), undefined);
    assert.equal(broker.nodeOf({ kind: 'bundle', pgId: 'g', index: 0 }), undefined);
  });

  // Work may be sent ahead to a busy node only when the cluster cannot grow for it and the node holds no bundle.
  const PREFETCH: [string, { maxWorkers: number; bundle: boolean; need?: Record<string, number> }, number][] = [
    ['at max_workers, a node offers a node\'s worth beyond its free CPUs', { maxWorkers: 0, bundle: false, need: { CPU: 1 } }, 4],
    ['when the cluster can grow for the request, only the free CPUs', { maxWorkers: 2, bundle: false, need: { CPU: 1 } }, 2],
    ['when no node type fits the request, the cluster cannot grow for it: headroom', { maxWorkers: 2, bundle: false, need: { CPU: 3 } }, 4],
    ['a node holding a placement-group bundle offers only its free CPUs', { maxWorkers: 0, bundle: true, need: { CPU: 1 } }, 1],
    ['a request without a shape (an actor) gets the headroom', { maxWorkers: 2, bundle: false }, 4],
  ];
  for (const [title, c, want] of PREFETCH) {
    it(title, () => {
      types.reconfigure(config(c.maxWorkers));
      addNode('a', 2);
      if (c.bundle) groups.create({ pgId: 'g', jobId: 'j', owner: 'd', strategy: 'PACK', bundles: [toFixed({ CPU: 1 })] });
      const [n] = broker.candidates(undefined, c.need ? toFixed(c.need) : undefined);
      assert.deepEqual(n?.slot, { kind: 'node', nodeId: 'a' });
      assert.equal(cpu(n?.available), want);
    });
  }

  it('candidates are the live nodes; dead and draining workers do not count against max_workers', () => {
    types.reconfigure(config(2));
    addNode('a', 2);
    addNode('b', 2);
    assert.deepEqual(broker.candidates(undefined, toFixed({ CPU: 1 })).map((x) => cpu(x.available)), [4, 4], 'two live workers: at max_workers');
    nodes.markDead('a', 1);
    nodes.markDraining('b');
    addNode('c', 2);
    const [only, ...rest] = broker.candidates(undefined, toFixed({ CPU: 1 }));
    assert.deepEqual([only?.nodeId, rest.length], ['c', 0]);
    assert.equal(cpu(only?.available), 2, 'one live worker of two: the cluster can grow');
  });

  it('withPrefetch adds the node\'s total to what is free, and only when allowed', () => {
    const c = { slot: { kind: 'node' as const, nodeId: 'a' }, nodeId: 'a', total: toFixed({ CPU: 2, GPU: 1 }), available: toFixed({ CPU: 1 }) };
    assert.deepEqual(withPrefetch(c, true).available, toFixed({ CPU: 3, GPU: 1 }));
    assert.deepEqual(withPrefetch(c, true).ahead, c.total, 'placement tells the headroom apart from what is free now');
    assert.equal(withPrefetch(c, false), c);
  });
});
