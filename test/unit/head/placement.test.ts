import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { type ResourceDict, toFixed } from '../../../src/common/resources.js';
import { type PlacementNode, type Strategy, placementFeasible, planPlacement } from '../../../src/head/placement.js';

const node = (nodeId: string, available: ResourceDict): PlacementNode => ({ nodeId, available: toFixed(available) });
const cpus = (...ns: number[]): ResourceDict[] => ns.map((n) => ({ CPU: n }));
const four = (...ids: string[]) => ids.map((id) => node(id, { CPU: 4 }));

type Case = [name: string, nodes: PlacementNode[], bundles: ResourceDict[], strategy: Strategy, want: string[] | undefined, fixed?: Record<number, string>];

describe('placement groups (planPlacement)', () => {
  const CASES: Case[] = [
    // PACK
    ['PACK puts two bundles on one node when they fit together', four('a', 'b'), cpus(1, 1), 'PACK', ['a', 'a']],
    ['PACK picks the first node that holds the whole group', [node('a', { CPU: 1 }), node('b', { CPU: 4 })], cpus(1, 1), 'PACK', ['b', 'b']],
    ['PACK falls back to two nodes when one is too small', [node('a', { CPU: 2 }), node('b', { CPU: 2 })], cpus(2, 2), 'PACK', ['a', 'b']],
    ['PACK fills the roomiest node first and reuses it before opening another', [node('a', { CPU: 2 }), node('b', { CPU: 3 }), node('c', { CPU: 3 })], cpus(2, 1, 2), 'PACK', ['b', 'b', 'c']],
    ['PACK places larger bundles first so they still find room', [node('a', { CPU: 3 }), node('b', { CPU: 3 })], cpus(1, 1, 2, 2), 'PACK', ['a', 'b', 'a', 'b']],
    ['PACK searches when first-fit decreasing misses a packing', [node('a', { CPU: 10 }), node('b', { CPU: 10 })], cpus(4, 4, 3, 3, 3, 3), 'PACK', ['a', 'b', 'a', 'a', 'b', 'b']],
    ['PACK honours every resource, not just CPU', [node('a', { CPU: 8 }), node('b', { CPU: 2, GPU: 1 })], [{ CPU: 1 }, { CPU: 1, GPU: 1 }], 'PACK', ['b', 'b']],
    // STRICT_PACK
    ['STRICT_PACK uses the first node that holds the sum', [node('a', { CPU: 1 }), node('b', { CPU: 2 }), node('c', { CPU: 2 })], cpus(1, 1), 'STRICT_PACK', ['b', 'b']],
    ['STRICT_PACK fails rather than split', [node('a', { CPU: 2 }), node('b', { CPU: 2 })], cpus(2, 1), 'STRICT_PACK', undefined],
    ['fractional bundles add up exactly on one node', [node('a', { CPU: 1 })], cpus(...Array<number>(10).fill(0.1)), 'STRICT_PACK', Array<string>(10).fill('a')],
    // SPREAD
    ['SPREAD uses three nodes for three bundles', four('a', 'b', 'c'), cpus(1, 1, 1), 'SPREAD', ['a', 'b', 'c']],
    ['SPREAD reuses a node when only one fits', [node('a', { CPU: 4 }), node('b', { CPU: 0.5 })], cpus(1, 1), 'SPREAD', ['a', 'a']],
    ['SPREAD prefers the roomier of the unused nodes', [node('a', { CPU: 2 }), node('b', { CPU: 4 })], cpus(1, 1), 'SPREAD', ['b', 'a']],
    ['SPREAD reuses the least used node once every node is used', four('a', 'b'), cpus(1, 1, 1), 'SPREAD', ['a', 'b', 'a']],
    ['SPREAD searches when its greedy choice strands a later bundle', [node('a', { CPU: 2 }), node('b', { CPU: 1 })], cpus(1, 2), 'SPREAD', ['b', 'a']],
    // STRICT_SPREAD
    ['STRICT_SPREAD puts each bundle on its own node', four('a', 'b', 'c'), cpus(1, 1), 'STRICT_SPREAD', ['a', 'b']],
    ['STRICT_SPREAD finds the matching first-fit would miss', [node('a', { CPU: 1, GPU: 1 }), node('b', { CPU: 1 })], [{ CPU: 1 }, { GPU: 1 }], 'STRICT_SPREAD', ['b', 'a']],
    ['STRICT_SPREAD fails with fewer nodes than bundles', four('a', 'b'), cpus(1, 1, 1), 'STRICT_SPREAD', undefined],
    ['STRICT_SPREAD never doubles up, even on a node that holds both', [node('a', { CPU: 8 }), node('b', { CPU: 0 })], cpus(1, 1), 'STRICT_SPREAD', undefined],
    // Sharing and edge cases
    ['the sum of bundles on one node must fit (PACK)', [node('a', { CPU: 3 })], cpus(2, 2), 'PACK', undefined],
    ['the sum of bundles on one node must fit (SPREAD)', [node('a', { CPU: 3 })], cpus(2, 2), 'SPREAD', undefined],
    ['zero-resource bundles fit a full node', [node('a', { CPU: 0 })], [{}, {}], 'STRICT_PACK', ['a', 'a']],
    ['zero-resource bundles spread over full nodes', [node('a', { CPU: 0 }), node('b', {})], [{}, {}], 'STRICT_SPREAD', ['a', 'b']],
    ['no nodes: nothing is placed', [], cpus(1), 'PACK', undefined],
    ['an empty group is placed trivially', [], [], 'STRICT_PACK', []],
    // Fixed bundles
    ['fixed bundles stay and STRICT_SPREAD avoids their nodes', four('a', 'b', 'c'), cpus(1, 1, 1), 'STRICT_SPREAD', ['a', 'c', 'b'], { 0: 'a', 2: 'b' }],
    ['STRICT_SPREAD fails when only a fixed bundle\'s node has room', [node('a', { CPU: 4 }), node('b', { CPU: 0 })], cpus(1, 1), 'STRICT_SPREAD', undefined, { 0: 'a' }],
    ['a fixed bundle on a node gone from the list still counts', [node('a', { CPU: 4 })], cpus(1, 1), 'STRICT_SPREAD', ['gone', 'a'], { 0: 'gone' }],
    ['STRICT_PACK with a fixed bundle places the rest on its node', [node('a', { CPU: 4 }), node('b', { CPU: 2 })], cpus(1, 1, 1), 'STRICT_PACK', ['b', 'b', 'b'], { 1: 'b' }],
    ['STRICT_PACK with a fixed bundle fails rather than leave its node', [node('a', { CPU: 4 }), node('b', { CPU: 0.5 })], cpus(1, 1), 'STRICT_PACK', undefined, { 0: 'b' }],
    ['STRICT_PACK refuses fixed bundles already split over nodes', four('a', 'b'), cpus(1, 1, 1), 'STRICT_PACK', undefined, { 0: 'a', 1: 'b' }],
    ['PACK with a fixed bundle joins it on its node', [node('a', { CPU: 8 }), node('b', { CPU: 2 })], cpus(1, 1, 1), 'PACK', ['b', 'b', 'b'], { 0: 'b' }],
    ['PACK with a fixed bundle overflows to the roomiest other node', [node('a', { CPU: 8 }), node('b', { CPU: 1 }), node('c', { CPU: 2 })], cpus(1, 1, 1), 'PACK', ['b', 'b', 'a'], { 0: 'b' }],
    ['SPREAD with a fixed bundle prefers the nodes it does not use', four('a', 'b'), cpus(1, 1), 'SPREAD', ['a', 'b'], { 0: 'a' }],
  ];
  for (const [name, nodes, bundles, strategy, want, fixed] of CASES) {
    it(name, () => {
      const held = fixed ? new Map(Object.entries(fixed).map(([i, n]) => [Number(i), n])) : undefined;
      assert.deepEqual(planPlacement(nodes, bundles.map(toFixed), strategy, held), want);
    });
  }

  it('the same input gives the same output', () => {
    const nodes = four('a', 'b', 'c');
    const bundles = cpus(3, 2, 2, 1).map(toFixed);
    assert.deepEqual(planPlacement(nodes, bundles, 'PACK'), planPlacement(nodes, bundles, 'PACK'));
  });
});

type Feasibility = [name: string, shapes: ResourceDict[], bundles: ResourceDict[], strategy: Strategy, maxNodes: number, want: boolean];

describe('placement groups (placementFeasible)', () => {
  const CASES: Feasibility[] = [
    ['STRICT_PACK is feasible when the sum fits one shape', [{ CPU: 4 }], cpus(2, 2), 'STRICT_PACK', 1, true],
    ['STRICT_PACK is infeasible when the bundles only fit apart', [{ CPU: 2 }, { CPU: 3 }], cpus(2, 2), 'STRICT_PACK', 10, false],
    ['STRICT_PACK sums across resources', [{ CPU: 4 }, { GPU: 1 }], [{ CPU: 2 }, { GPU: 1 }], 'STRICT_PACK', 10, false],
    ['an empty STRICT_PACK group is feasible anywhere', [], [], 'STRICT_PACK', 0, true],
    ['STRICT_SPREAD is feasible with enough nodes', [{ CPU: 4 }], cpus(1, 1, 1), 'STRICT_SPREAD', 3, true],
    ['STRICT_SPREAD is infeasible with fewer nodes than bundles', [{ CPU: 4 }], cpus(1, 1, 1), 'STRICT_SPREAD', 2, false],
    ['STRICT_SPREAD needs each bundle to fit some shape', [{ CPU: 4 }], [{ GPU: 1 }], 'STRICT_SPREAD', 5, false],
    ['PACK only needs each bundle to fit some shape', [{ CPU: 1 }], cpus(1, 1, 1), 'PACK', 1, true],
    ['PACK is infeasible when a bundle fits no shape', [{ CPU: 4 }], cpus(2, 8), 'PACK', 10, false],
    ['SPREAD bundles may fit different shapes', [{ CPU: 4 }, { GPU: 1 }], [{ CPU: 2 }, { GPU: 1 }], 'SPREAD', 1, true],
    ['SPREAD is infeasible when a bundle fits no shape', [{ CPU: 4 }], [{ CPU: 1, GPU: 1 }], 'SPREAD', 10, false],
  ];
  for (const [name, shapes, bundles, strategy, maxNodes, want] of CASES) {
    it(name, () => assert.equal(placementFeasible(shapes.map(toFixed), bundles.map(toFixed), strategy, maxNodes), want));
  }
});
