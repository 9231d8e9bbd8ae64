import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { memoryStore } from '../../../src/head/gcs/open.js';
import { NodeTable } from '../../../src/head/nodes.js';
import { PlacementGroups } from '../../../src/head/placement-groups.js';
import type { BundleSlot, Slot } from '../../../src/head/slots.js';
import type { PlacementGroupSpec, Strategy } from '../../../src/protocol/messages.js';

const spec = (pgId: string, strategy: Strategy, cpus: number[]): PlacementGroupSpec => ({
  pgId, jobId: 'job', owner: 'driver', strategy, bundles: cpus.map((c) => toFixed({ CPU: c })),
});

const bundleSlot = (s: Slot | undefined): BundleSlot | undefined => (s?.kind === 'bundle' ? s : undefined);

describe('placement groups (PlacementGroups)', () => {
  let nodes: NodeTable;
  let groups: PlacementGroups;
  let notes: string[];
  let removed: string[];

  beforeEach(() => {
    nodes = new NodeTable(memoryStore());
    notes = [];
    removed = [];
    groups = new PlacementGroups({
      nodes, notify: (_c, pgId, state) => notes.push(`${pgId}:${state}`),
      limits: () => ({ shapes: [toFixed({ CPU: 2 })], maxNodes: 3 }), resourcesFreed: () => undefined,
      removed: (pgId, why, byJob) => removed.push(`${pgId}: ${why} (by ${byJob ?? '?'})`),
    });
  });
  const addNode = (id: string, cpu: number) => nodes.register({ nodeId: id, nodeType: 'w', kind: 'worker', address: '', pid: 1, resources: { CPU: cpu } }, 0);
  const where = (pgId: string) => groups.views().find((g) => g.pgId === pgId)?.bundles.map((b) => b.nodeId);

  it('reserves all bundles at once and takes them out of the nodes\' free resources', () => {
    addNode('a', 2);
    addNode('b', 2);
    groups.create(spec('g', 'STRICT_SPREAD', [1, 1]));
    assert.deepEqual(notes, ['g:CREATED']);
    assert.deepEqual(where('g'), ['a', 'b']);
    assert.deepEqual(nodes.get('a')?.available, toFixed({ CPU: 1 }));
  });

  it('waits (a pending demand of every bundle) until it can be reserved whole', () => {
    addNode('a', 2);
    groups.create(spec('g', 'STRICT_SPREAD', [1, 1]));
    assert.deepEqual(notes, []);
    assert.equal(groups.demands().length, 2);
    assert.deepEqual(nodes.get('a')?.available, toFixed({ CPU: 2 }), 'nothing is held while waiting');
    addNode('b', 2);
    groups.place();
    assert.deepEqual(notes, ['g:CREATED']);
  });

  it('a group that can never fit is infeasible at once', () => {
    addNode('a', 2);
    groups.create(spec('big', 'STRICT_PACK', [2, 2]));
    groups.create(spec('wide', 'STRICT_SPREAD', [1, 1, 1, 1]));
    assert.deepEqual(notes, ['big:INFEASIBLE', 'wide:INFEASIBLE']);
  });

  it('work inside a bundle uses the bundle\'s resources, not the node\'s', () => {
    addNode('a', 2);
    groups.create(spec('g', 'PACK', [1]));
    const [slot] = groups.candidates('g', 0);
    assert.ok(slot);
    assert.deepEqual(slot.slot, { kind: 'bundle', pgId: 'g', index: 0 });
    assert.ok(slot.slot.kind === 'bundle');
    groups.acquire(slot.slot, toFixed({ CPU: 1 }));
    assert.equal(groups.candidates('g', 0)[0]?.available.CPU ?? 0, 0);
    assert.deepEqual(nodes.get('a')?.available, toFixed({ CPU: 1 }));
    assert.equal(groups.nodeOf(slot.slot), 'a');
  });

  it('removing a group gives its free resources back to the nodes', () => {
    addNode('a', 2);
    groups.create(spec('g', 'PACK', [1, 1]));
    groups.remove('g', 'job');
    assert.deepEqual(nodes.get('a')?.available, toFixed({ CPU: 2 }));
    assert.deepEqual(groups.views(), []);
  });

  it('removing a group has the work placed in it killed, saying which job removed it (its own, when the job ended)', () => {
    addNode('a', 2);
    groups.create({ ...spec('g', 'PACK', [1]), name: 'trainers' });
    groups.create(spec('h', 'PACK', [1]));
    groups.remove('g', 'other');
    groups.jobEnded('job');
    assert.deepEqual(removed, ['g: its placement group trainers was removed (by other)', 'h: its placement group h was removed (by job)']);
  });

  // Work inside a bundle ends after the group is gone when its kill (or its job's end) lands after the removal:
  // its share must still reach the node, or the node shows busy forever.
  const ENDINGS: [string, (slots: BundleSlot[]) => void][] = [
    ['work ends before the group is removed', (slots) => {
      for (const s of slots) groups.release(s, toFixed({ CPU: 1 }));
      groups.remove('g', 'job');
    }],
    ['work ends after the group is removed', (slots) => {
      groups.remove('g', 'job');
      for (const s of slots) groups.release(s, toFixed({ CPU: 1 }));
    }],
  ];
  for (const [title, end] of ENDINGS) {
    it(`every CPU comes back to the nodes when ${title}`, () => {
      addNode('a', 2);
      addNode('b', 2);
      groups.create(spec('g', 'STRICT_SPREAD', [1, 1]));
      const slots = [0, 1].map((i) => bundleSlot(groups.candidates('g', i)[0]?.slot) ?? assert.fail(`bundle ${i} is not reserved`));
      for (const s of slots) groups.acquire(s, toFixed({ CPU: 1 }));
      assert.deepEqual([nodes.get('a')?.available, nodes.get('b')?.available], [toFixed({ CPU: 1 }), toFixed({ CPU: 1 })]);
      end(slots);
      assert.deepEqual([nodes.get('a')?.available, nodes.get('b')?.available], [toFixed({ CPU: 2 }), toFixed({ CPU: 2 })]);
    });
  }

  it('a removed group takes no new work', () => {
    addNode('a', 2);
    groups.create(spec('g', 'PACK', [1]));
    const slot = bundleSlot(groups.candidates('g', 0)[0]?.slot) ?? assert.fail('bundle 0 is not reserved');
    groups.remove('g', 'job');
    assert.equal(groups.fitsBundle('g', 0, toFixed({ CPU: 1 })), false);
    assert.equal(groups.nodeOf(slot), undefined);
    assert.deepEqual(groups.candidates('g', 0), []);
  });

  it('bundles on a node that died are reserved again elsewhere, keeping STRICT_SPREAD', () => {
    addNode('a', 2);
    addNode('b', 2);
    groups.create(spec('g', 'STRICT_SPREAD', [1, 1]));
    addNode('c', 2);
    nodes.markDead('a', 1);
    groups.nodeDied('a');
    assert.deepEqual(where('g'), ['c', 'b']);
    assert.equal(groups.views()[0]?.state, 'CREATED');
  });
});
