import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { toFixed } from '../../../src/common/resources.js';
import { feasibleOn, pickNode } from '../../../src/head/scheduler.js';

const node = (nodeId: string, total: Record<string, number>, available: Record<string, number>) => ({ nodeId, total: toFixed(total), available: toFixed(available) });
/** A node that takes work sent ahead: its total as headroom on top of what is free (slot-broker.ts withPrefetch). */
const busy = (nodeId: string, total: Record<string, number>, free: Record<string, number>) => {
  const n = node(nodeId, total, free);
  const available: Record<string, number> = { ...n.available };
  for (const [k, v] of Object.entries(n.total)) available[k] = (available[k] ?? 0) + v;
  return { ...n, available, ahead: n.total };
};

describe('placement (pickNode)', () => {
  const CASES: [string, ReturnType<typeof node>[], Record<string, number>, string | undefined][] = [
    ['picks the only node that fits', [node('a', { CPU: 2 }, { CPU: 0 }), node('b', { CPU: 2 }, { CPU: 1 })], { CPU: 1 }, 'b'],
    ['spreads to the least loaded node', [node('a', { CPU: 4 }, { CPU: 1 }), node('b', { CPU: 4 }, { CPU: 3 })], { CPU: 1 }, 'b'],
    ['ties keep node order', [node('a', { CPU: 2 }, { CPU: 2 }), node('b', { CPU: 2 }, { CPU: 2 })], { CPU: 1 }, 'a'],
    ['a GPU request goes to the GPU node', [node('cpu', { CPU: 8 }, { CPU: 8 }), node('gpu', { CPU: 4, GPU: 1 }, { CPU: 4, GPU: 1 })], { CPU: 1, GPU: 1 }, 'gpu'],
    ['a custom resource is matched by name', [node('a', { CPU: 2 }, { CPU: 2 }), node('b', { CPU: 2, disk: 1 }, { CPU: 2, disk: 1 })], { disk: 1 }, 'b'],
    ['fractional requests share a CPU', [node('a', { CPU: 1 }, { CPU: 0.5 })], { CPU: 0.5 }, 'a'],
    ['nothing fits: undefined (a pending demand)', [node('a', { CPU: 2 }, { CPU: 1 })], { CPU: 2 }, undefined],
    ['a zero-CPU request fits a full node', [node('a', { CPU: 1 }, { CPU: 0 })], { CPU: 0 }, 'a'],
    ['work goes to a node with room now (its rest kept by a group) before being sent ahead to a full one', [busy('full', { CPU: 2 }, { CPU: 0 }), node('kept', { CPU: 2 }, { CPU: 1 })], { CPU: 1 }, 'kept'],
    ['with no room anywhere now, work is sent ahead to a busy node', [busy('full', { CPU: 2 }, { CPU: 0 }), node('kept', { CPU: 2 }, { CPU: 0 })], { CPU: 1 }, 'full'],
    ['among nodes with room now, the least loaded, headroom aside', [busy('half', { CPU: 2 }, { CPU: 1 }), busy('idle', { CPU: 8 }, { CPU: 8 })], { CPU: 1 }, 'idle'],
  ];
  for (const [name, nodes, need, want] of CASES) it(name, () => assert.equal(pickNode(nodes, toFixed(need)), want));

  it('a request is infeasible when no node shape could ever hold it', () => {
    assert.equal(feasibleOn([toFixed({ CPU: 2 }), toFixed({ CPU: 1, GPU: 1 })], toFixed({ CPU: 1, GPU: 1 })), true);
    assert.equal(feasibleOn([toFixed({ CPU: 2 })], toFixed({ CPU: 3 })), false);
  });
});
