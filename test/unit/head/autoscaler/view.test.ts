import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import type { CloudNode } from '../../../../providers/provider.js';
import { applyDefaults } from '../../../../src/config/defaults.js';
import type { ClusterFacts } from '../../../../src/head/autoscaler/facts.js';
import type { PlanOutput } from '../../../../src/head/autoscaler/plan.js';
import { autoscalerView, type ViewInput } from '../../../../src/head/autoscaler/view.js';

const NOW = 100_000;
const config = applyDefaults({
  provider: { type: 'process' }, max_workers: 4, head_node_type: 'head',
  available_node_types: { head: { resources: { CPU: 0 } }, w: { resources: { CPU: 1 }, min_workers: 1, max_workers: 4, idle_timeout_s: 60 } },
});
const node = (nodeId: string, o: Partial<ClusterFacts['nodes'][number]> = {}) => ({
  nodeId, nodeType: 'w', kind: 'worker' as const, alive: true, total: { CPU: 1 }, available: { CPU: 1 }, lastUsedAt: NOW - 10_000, registeredAt: 0, ...o,
});
const listed = (id: string, status: CloudNode['status'] = 'pending'): CloudNode => ({ id, nodeType: 'w', kind: 'worker', status, tags: {} });
const view = (o: Partial<ViewInput>) => autoscalerView({ config, facts: undefined, plan: undefined, cloud: undefined, backoff: {}, setupSteps: {}, events: [], stopped: undefined, errors: 0, now: NOW, ...o });

describe('the autoscaler\'s status view', () => {
  it('says why each live worker stays: busy, kept for min_workers, or idle for how long of its timeout', () => {
    const facts: ClusterFacts = { nodes: [node('a', { busy: 'hosts an actor' }), node('b')], demands: [], placementGroups: [], requested: [] };
    assert.deepEqual(view({ facts }).nodes, [{ nodeId: 'a', why: 'busy: hosts an actor' }, { nodeId: 'b', why: 'idle 10 s of 60 s' }]);
    assert.deepEqual(view({ facts: { ...facts, nodes: [node('b')] } }).nodes, [{ nodeId: 'b', why: 'idle 10 s, kept for min_workers (1)' }]);
  });

  it('lists listed workers not registered yet, with their setup step, else their provider status', () => {
    const facts: ClusterFacts = { nodes: [node('a')], demands: [], placementGroups: [], requested: [] };
    const v = view({ facts, cloud: [listed('a', 'running'), listed('b'), listed('c')], setupSteps: { b: 'syncing-files' } });
    assert.deepEqual(v.launching, [{ nodeId: 'b', nodeType: 'w', status: 'syncing-files' }, { nodeId: 'c', nodeType: 'w', status: 'pending' }]);
  });

  it('says why demands wait: no type offers them, types backed off, or max_workers', () => {
    const plan: PlanOutput = { launch: {}, terminate: [], unfulfilled: [{ resources: { GPU: 1 }, count: 1 }, { resources: { CPU: 1 }, count: 2 }], infeasible: [{ resources: { GPU: 1 }, count: 1 }] };
    assert.deepEqual(view({ plan }).pending.map((p) => p.why), ['no node type offers it', 'the cluster is at max_workers (or each fitting type at its max_workers)']);
    assert.equal(view({ plan, backoff: { w: { until: NOW + 1, failures: 1 } } }).pending[1]?.why, 'node types backed off after capacity errors: w');
  });

  it('keeps the last 50 events, and says when launching stopped', () => {
    const events = Array.from({ length: 60 }, (_, seq) => ({ at: seq, seq, kind: 'error' as const, message: `e${seq}` }));
    const v = view({ events, stopped: 'credentials rejected', errors: 2 });
    assert.deepEqual([v.events.length, v.events[0]?.seq, v.stopped, v.errors], [50, 10, 'credentials rejected', 2]);
  });
});
