// The worked examples of ray-launcher.md §4 (scores §4.2, get_nodes_for and the launch limit §4.5, primitives §4.1,
// the §4.4 gotchas, §3.4 terminations) and the small §5 parity vectors, each run against BOTH the oracle
// (test/helpers/ray-reference-plan.ts) and the fast src/head/autoscaler/plan.ts in mode 'ray'.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import * as fast from '../../../../src/head/autoscaler/plan.js';
import type { Demand, NodeTypeSpec, PlanInput, PlanNode, PlanOutput, Res } from '../../../../src/head/autoscaler/plan.js';
import { ANCHOR_CASES, anchorInput } from '../../../helpers/anchor-inputs.js';
import * as oracle from '../../../helpers/ray-reference-plan.js';

type Impl = Pick<typeof oracle, 'plan' | 'utilizationScore' | 'binPackResidual' | 'nodesFor' | 'limitConcurrency' | 'addMinWorkerNodes'>;
const IMPLS: [string, Impl][] = [['oracle', oracle], ['plan.ts', fast]];

const d = (resources: Res, count = 1): Demand => ({ resources, count });
const T = (name: string, resources: Res, maxWorkers: number, minWorkers = 0): NodeTypeSpec => ({ name, resources, minWorkers, maxWorkers });
const TYPES_A: NodeTypeSpec[] = [
  T('empty_node', {}, 0), T('m4.large', { CPU: 2 }, 10), T('m4.4xlarge', { CPU: 16 }, 8), T('m4.16xlarge', { CPU: 64 }, 4),
  T('p2.xlarge', { CPU: 16, GPU: 1 }, 10), T('p2.8xlarge', { CPU: 32, GPU: 8 }, 4),
];
const IMPLICIT = 'node:__internal_implicit_resource_pg';

/** A plan() input with nothing in it; `over` fills what a case needs. */
function input(over: Partial<PlanInput>): PlanInput {
  return {
    nodeTypes: [], headNodeType: null, maxWorkers: 100, upscalingSpeed: 1, nodes: [], launching: {}, demands: [],
    placementGroups: [], requestedBundles: [], backoffUntil: {}, idleTimeoutMs: {}, currentLaunchHash: {}, now: 1_000_000,
    mode: 'ray', ...over,
  };
}
const worker = (id: string, nodeType: string | null, extra: Partial<PlanNode> = {}): PlanNode => ({ id, nodeType, kind: 'worker', ...extra });

for (const [impl, P] of IMPLS) {
  describe(`Ray worked examples (${impl})`, () => {
    describe('§4.2 utilization score', () => {
      const CASES: [string, Res, Demand[], ReturnType<Impl['utilizationScore']>][] = [
        ['a half-used 64-CPU node scores 64 × 0.5³ = 8', { CPU: 64 }, [d({ CPU: 32 })], [true, 1, 8, 8]],
        ['an unused TPU makes min(util) 0 but the mean 1', { GPU: 2, TPU: 1 }, [d({ GPU: 2 })], [true, 1, 0, 1]],
        ['a GPU node for CPU-only work is not gpu_ok', { GPU: 1, CPU: 1 }, [d({ CPU: 1 })], [false, 1, 0, 0.5]],
        ['a GPU key with amount 0 in a demand keeps the GPU node gpu_ok', { GPU: 1, CPU: 1 }, [d({ CPU: 1, GPU: 0 })], [true, 1, 0, 0.5]],
        ['no demand fits: exactly null', { CPU: 2 }, [d({ CPU: 4 }), d({ GPU: 1 })], null],
        ['no resource of at least 1: exactly null', { CPU: 0.5 }, [d({ CPU: 0.5 })], null],
        ['demands are taken in the order given (first fit, not sorted)', { CPU: 4 }, [d({ CPU: 1 }), d({ CPU: 4 })], [true, 1, 0.0625, 0.0625]],
        ['types count all demands, even those that do not fit', { CPU: 4, GPU: 1 }, [d({ CPU: 4 }), d({ GPU: 2 })], [true, 2, 0, 2]],
      ];
      for (const [name, node, demands, want] of CASES) it(name, () => assert.deepEqual(P.utilizationScore(node, demands), want));
    });

    describe('§4.1 primitives (get_bin_pack_residual)', () => {
      const CASES: [string, Res[], Demand[], boolean, ReturnType<Impl['binPackResidual']>][] = [
        ['{GPU:1} sorts before {CPU:1} ("GPU" > "CPU")', [{ CPU: 1, GPU: 1 }], [d({ CPU: 1 }), d({ GPU: 1 })], true,
          { unfulfilled: [d({ CPU: 1 })], residual: [{ CPU: 1, GPU: 0 }] }],
        ['a zero-valued key counts in the sort key and fits a node without that resource', [{ CPU: 2 }], [d({ CPU: 2 }), d({ CPU: 1, GPU: 0 })], false,
          { unfulfilled: [d({ CPU: 2 })], residual: [{ CPU: 1 }] }],
        ['a missing implicit resource has capacity 1 and stays in the residual as 0', [{ CPU: 1 }], [d({ [IMPLICIT]: 1 }, 2)], false,
          { unfulfilled: [d({ [IMPLICIT]: 1 })], residual: [{ CPU: 1, [IMPLICIT]: 0 }] }],
        ['strict spread returns untouched nodes first, then used ones', [{ CPU: 1 }, { CPU: 2 }, { CPU: 3 }], [d({ CPU: 2 })], true,
          { unfulfilled: [], residual: [{ CPU: 1 }, { CPU: 3 }, { CPU: 0 }] }],
        ['first fit in node order, larger demands first', [{ CPU: 3 }, { CPU: 4 }], [d({ CPU: 1 }), d({ CPU: 3 }), d({ CPU: 2 })], false,
          { unfulfilled: [], residual: [{ CPU: 0 }, { CPU: 1 }] }],
        ['unfulfilled demands come back sorted and merged into runs', [], [d({ CPU: 1 }), d({ CPU: 2 }), d({ CPU: 1 })], false,
          { unfulfilled: [d({ CPU: 2 }), d({ CPU: 1 }, 2)], residual: [] }],
      ];
      for (const [name, nodes, demands, strictSpread, want] of CASES) it(name, () => assert.deepEqual(P.binPackResidual(nodes, demands, { strictSpread }), want));
    });

    describe('§4.5 get_nodes_for (TYPES_A, head empty_node, max_to_add 9999)', () => {
      const CASES: [string, Demand[], boolean, Record<string, number>][] = [
        ['4 × {GPU:1} → 4 p2.xlarge', [d({ GPU: 1 }, 4)], false, { 'p2.xlarge': 4 }],
        ['6 × {GPU:1} → one p2.8xlarge', [d({ GPU: 1 }, 6)], false, { 'p2.8xlarge': 1 }],
        ['100 × {CPU:1} → m4.16xlarge 1, m4.4xlarge 2, m4.large 2', [d({ CPU: 1 }, 100)], false, { 'm4.16xlarge': 1, 'm4.4xlarge': 2, 'm4.large': 2 }],
        ['{GPU:1} + 64 × {CPU:1} → GPU nodes avoided for CPU work', [d({ GPU: 1 }), d({ CPU: 1 }, 64)], false, { 'm4.16xlarge': 1, 'p2.xlarge': 1 }],
        ['8 × {GPU:1} strict spread → 8 p2.xlarge', [d({ GPU: 1 }, 8)], true, { 'p2.xlarge': 8 }],
        ['8 × {GPU:1} not strict → one p2.8xlarge', [d({ GPU: 1 }, 8)], false, { 'p2.8xlarge': 1 }],
      ];
      for (const [name, demands, strictSpread, want] of CASES) {
        it(name, () => {
          const r = P.nodesFor(TYPES_A, {}, 'empty_node', 9999, demands, { strictSpread });
          assert.deepEqual(r, { toAdd: want, unfulfilled: [] });
        });
      }
      const CG = [T('cpu', { CPU: 1 }, 10), T('gpu', { GPU: 1, CPU: 100 }, 10)];
      it('100 CPU tasks, max_to_add 10 → 10 cpu nodes (90 left)', () =>
        assert.deepEqual(P.nodesFor(CG, {}, null, 10, [d({ CPU: 1 }, 100)]), { toAdd: { cpu: 10 }, unfulfilled: [d({ CPU: 1 }, 90)] }));
      it('100 CPU tasks, max_to_add 11 → the GPU node only once the cpu type is full', () =>
        assert.deepEqual(P.nodesFor(CG, {}, null, 11, [d({ CPU: 1 }, 100)]), { toAdd: { cpu: 10, gpu: 1 }, unfulfilled: [] }));
      it('equal scores: the larger type name wins', () =>
        assert.deepEqual(P.nodesFor([T('b', { CPU: 2 }, 5), T('a', { CPU: 2 }, 5), T('10', { CPU: 2 }, 5)], {}, null, 1, [d({ CPU: 1 })]).toAdd, { b: 1 }));
      it('the head type may hold one more node than its max_workers', () =>
        assert.deepEqual(P.nodesFor([T('h', { CPU: 1 }, 1)], { h: 1 }, 'h', 5, [d({ CPU: 1 }, 3)]).toAdd, { h: 1 }));
      it('no node added: unfulfilled stay in input order', () =>
        assert.deepEqual(P.nodesFor(TYPES_A, {}, null, 0, [d({ CPU: 1 }), d({ CPU: 2 })]).unfulfilled, [d({ CPU: 1 }), d({ CPU: 2 })]));
    });

    describe('§4.5 launch limit (p2.8xlarge min 4 max 40, max_workers 30, no head, 40 × {GPU:8})', () => {
      const types = TYPES_A.map((t) => (t.name === 'p2.8xlarge' ? { ...t, minWorkers: 4, maxWorkers: 40 } : t));
      const base = { nodeTypes: types, headNodeType: null, maxWorkers: 30, launching: { 'p2.8xlarge': 1 }, demands: [d({ GPU: 8 }, 40)] };
      it('1 pending + 1 launching, 0 running → 5 − 2 = 3 launched, 9 unfulfilled', () => {
        const r = P.plan(input({ ...base, nodes: [worker('p0', 'p2.8xlarge')] }));
        assert.deepEqual(r.launch, { 'p2.8xlarge': 3 });
        assert.deepEqual(r.unfulfilled, [d({ GPU: 8 }, 9)]);
      });
      it('with 8 more running (busy) nodes → 8 − 2 = 6 launched', () => {
        const running = Array.from({ length: 8 }, (_, i) => worker(`r${i}`, 'p2.8xlarge', { available: {} }));
        const r = P.plan(input({ ...base, nodes: [worker('p0', 'p2.8xlarge'), ...running] }));
        assert.deepEqual(r.launch, { 'p2.8xlarge': 6 });
        assert.deepEqual(r.unfulfilled, [d({ GPU: 8 }, 17)]); // 38 left after 2 in-flight nodes, 21 slots under max_workers
      });
      it('limitConcurrency: min_workers / request nodes and PG nodes bypass the limit', () => {
        const ctx = { upscalingSpeed: 1, nodes: [], connectedIps: [], launching: { a: 5 }, adjustedMin: { a: 2 }, pgNodes: { a: 3 } };
        assert.deepEqual(P.limitConcurrency({ a: 10, b: 9 }, ctx), { a: 5, b: 5 });
      });
      it('limitConcurrency: up to upscaling_speed × running in flight per type', () => {
        const nodes = Array.from({ length: 10 }, (_, i) => worker(`n${i}`, 'a', { ip: `10.0.0.${i}` }));
        const ctx = { upscalingSpeed: 3, nodes, connectedIps: nodes.slice(0, 8).map((n) => n.ip ?? ''), launching: {}, adjustedMin: {}, pgNodes: {} };
        assert.deepEqual(P.limitConcurrency({ a: 100 }, ctx), { a: 22 }); // 3 × 8 running − 2 pending
      });
    });

    describe('§4.4 get_nodes_to_launch gotchas', () => {
      const W = [T('w', { CPU: 4 }, 100)];
      it('an unconnected node counts at its type\'s capacity, a connected {} node as fully used', () => {
        const r = P.plan(input({ nodeTypes: W, nodes: [worker('a', 'w'), worker('b', 'w', { available: {} })], demands: [d({ CPU: 1 }, 8)] }));
        assert.deepEqual(r.launch, { w: 1 });
      });
      it('max_to_add reserves a slot for the head even without a head type (max_workers 50 → 51 PG nodes)', () => {
        const r = P.plan(input({ nodeTypes: W, maxWorkers: 50, placementGroups: [{ id: 'pg', strategy: 'PACK', bundles: [d({ CPU: 4 }, 60)] }] }));
        assert.deepEqual(r.launch, { w: 51 });
        assert.deepEqual(r.unfulfilled, [d({ CPU: 4 }, 9)]);
      });
      it('min_workers bypass the launch limit', () =>
        assert.deepEqual(P.plan(input({ nodeTypes: [T('w', { CPU: 4 }, 100, 12)] })).launch, { w: 12 }));
      it('request_resources leftovers never show as unfulfilled', () => {
        const r = P.plan(input({ nodeTypes: [T('w', { CPU: 4 }, 2)], requestedBundles: [d({ CPU: 4 }, 5)] }));
        assert.deepEqual(r, { launch: { w: 2 }, terminate: [], unfulfilled: [], infeasible: [] });
      });
      it('a STRICT_PACK group is one summed bundle; STRICT_SPREAD groups are not reported', () => {
        const r = P.plan(input({ nodeTypes: [T('w', { CPU: 4 }, 0)], placementGroups: [
          { id: 'p', strategy: 'STRICT_PACK', bundles: [d({ CPU: 1, GPU: 0 }), d({ CPU: 2 })] },
          { id: 's', strategy: 'STRICT_SPREAD', bundles: [d({ CPU: 1 }, 3)] }] }));
        assert.deepEqual(r.unfulfilled, [d({ CPU: 3, GPU: 0 })]);
      });
      it('STRICT_SPREAD puts each bundle on its own node', () => {
        const r = P.plan(input({ nodeTypes: W, placementGroups: [{ id: 's', strategy: 'STRICT_SPREAD', bundles: [d({ CPU: 1 }, 7)] }] }));
        assert.deepEqual(r.launch, { w: 7 });
      });
      it('infeasible = task demands no launchable type (head type or max_workers > 0) fits', () => {
        const r = P.plan(input({ nodeTypes: [T('h', { CPU: 1, GPU: 1 }, 0), T('z', { TPU: 8 }, 0), T('w', { CPU: 4 }, 3)], headNodeType: 'h',
          demands: [d({ GPU: 1 }), d({ TPU: 1 }, 2), d({ CPU: 8 })] }));
        assert.deepEqual(r.infeasible, [d({ TPU: 1 }, 2), d({ CPU: 8 })]);
        assert.deepEqual(r.launch, { h: 1 });
      });
      it('step 1: a type learns CPU/GPU/memory from a connected worker\'s static resources', () => {
        const r = P.plan(input({ nodeTypes: [T('z', {}, 3)], nodes: [worker('a', 'z', { total: { CPU: 8 }, available: { CPU: 0 } })], demands: [d({ CPU: 4 })] }));
        assert.deepEqual(r, { launch: { z: 1 }, terminate: [], unfulfilled: [], infeasible: [] });
      });
      it('step 1: a worker reporting empty static resources teaches nothing, a later one does', () => {
        const nodes = [worker('a', 'z', { total: {}, available: {} }), worker('b', 'z', { total: { CPU: 8 }, available: {} })];
        assert.deepEqual(P.plan(input({ nodeTypes: [T('z', {}, 3)], nodes, demands: [d({ CPU: 4 })] })).launch, { z: 1 });
      });
      it('STRICT_SPREAD: new nodes are bin-packed in the order types were picked, even for integer-like names', () => {
        const r = P.plan(input({ nodeTypes: [T('10', { CPU: 8, memory: 16 }, 1), T('cpu', { memory: 64 }, 1)], maxWorkers: 50, placementGroups: [
          { id: 'p', strategy: 'SPREAD', bundles: [d({ CPU: 8 })] }, { id: 's', strategy: 'STRICT_SPREAD', bundles: [d({ memory: 1 }), d({ CPU: 1 })] }] }));
        assert.deepEqual(r, { launch: { 10: 1, cpu: 1 }, terminate: [], unfulfilled: [d({ CPU: 8 })], infeasible: [] });
      });
      it('request_resources: added nodes are appended in the order types were picked, even for integer-like names', () => {
        const r = P.plan(input({ nodeTypes: [T('2', { CPU: 1 }, 1), T('b', { CPU: 2.2 }, 1)], headNodeType: '2', maxWorkers: 50, upscalingSpeed: 0,
          requestedBundles: [d({ CPU: 1 }, 4)], placementGroups: [{ id: 'p', strategy: 'SPREAD', bundles: [d({ CPU: 0.7 }), d({ CPU: 1 }, 3), d({ CPU: 0.5 })] }] }));
        assert.deepEqual(r, { launch: { 2: 2, b: 1 }, terminate: [], unfulfilled: [d({ CPU: 0.5 })], infeasible: [] });
      });
      it('request_resources: capacities are listed per type in order of first appearance, even for integer-like names', () => {
        const nodes = [worker('n0', 'a', { launchHash: 'h' }), worker('n1', '10', { launchHash: 'h' }), worker('n2', '10', { launchHash: 'h' })];
        const r = P.plan(input({ nodeTypes: [T('a', { CPU: 4 }, 3), T('10', { CPU: 3 }, 3)], maxWorkers: 50, nodes, currentLaunchHash: { a: 'h', 10: 'h' },
          requestedBundles: [d({ CPU: 3 }, 2), d({ CPU: 2 }, 2)] })); // first fit on [4, 3, 3] leaves one {CPU:2} over ([3, 3, 4] would not)
        assert.deepEqual(r, { launch: { 10: 1 }, terminate: [], unfulfilled: [], infeasible: [] });
      });
      it('a STRICT_PACK sum adds bundle by bundle like Python\'s defaultdict(float) (6 × 0.2 → 1.2, not 0.2 × 6)', () => {
        const r = P.plan(input({ placementGroups: [{ id: 'p', strategy: 'STRICT_PACK', bundles: [d({ CPU: 0.2 }, 6)] }] }));
        assert.deepEqual(r.unfulfilled, [d({ CPU: 1.2 })]);
      });
      it('a backed-off type still gets its min_workers (backoff only removes nodesFor candidates)', () =>
        assert.deepEqual(P.plan(input({ nodeTypes: [T('a', { CPU: 4 }, 5, 1)], backoffUntil: { a: 2_000_000 } })).launch, { a: 1 }));
      it('a backed-off type is no candidate', () => {
        const r = P.plan(input({ nodeTypes: [T('a', { CPU: 4 }, 5), T('b', { CPU: 4 }, 5)], backoffUntil: { b: 2_000_000 }, demands: [d({ CPU: 1 })] }));
        assert.deepEqual(r.launch, { a: 1 });
      });
    });

    describe('§3.4 terminations', () => {
      const W = [T('w', { CPU: 4 }, 5, 1)];
      const hash = { w: 'h1' };
      const ok = (id: string, lastUsedAt?: number, extra: Partial<PlanNode> = {}) => worker(id, 'w', { launchHash: 'h1', lastUsedAt, available: { CPU: 4 }, ...extra });
      const run = (over: Partial<PlanInput>) => P.plan(input({ nodeTypes: W, currentLaunchHash: hash, idleTimeoutMs: { w: 60_000 }, ...over })).terminate;
      const CASES: [string, Partial<PlanInput>, PlanOutput['terminate']][] = [
        ['idle workers go, the most recently used fills min_workers, never the head', {
          nodes: [{ id: 'h', nodeType: 'w', kind: 'head', lastUsedAt: 0 }, ok('a', 10), ok('b', 20), ok('c', 999_999)] },
        [{ id: 'b', reason: 'idle' }, { id: 'a', reason: 'idle' }]],
        ['a changed launch hash is outdated', { nodes: [ok('a', 999_000), ok('b', 999_999, { launchHash: 'old' })] }, [{ id: 'b', reason: 'outdated' }]],
        ['a type no longer configured is removed', { nodes: [ok('a', 999_999, { nodeType: 'gone' })] }, [{ id: 'a', reason: 'type_removed' }]],
        ['over max_workers of its type: the least recently used go', { nodeTypes: [T('w', { CPU: 4 }, 2)], nodes: [ok('a', 999_001), ok('b', 999_003), ok('c', 999_002)] },
          [{ id: 'a', reason: 'max_workers_per_type' }]],
        ['over the global max_workers: the least recently used of the rest go (never used = least)', {
          maxWorkers: 2, nodes: [ok('a', 999_001), ok('b', 999_003), ok('c'), ok('d', 999_002)] }, [{ id: 'a', reason: 'max_workers' }, { id: 'c', reason: 'max_workers' }]],
        ['a worker without a node type is outdated (its user type is not configured)', { nodes: [worker('x', null, { launchHash: 'h1' })] }, [{ id: 'x', reason: 'outdated' }]],
        ['a worker without a launch hash differs from the current one: outdated', { nodes: [ok('a', 999_999, { launchHash: undefined })] }, [{ id: 'a', reason: 'outdated' }]],
        ['an idle worker whose capacity request_resources needs is kept', { nodes: [ok('a', 999_999), ok('b', 10)], requestedBundles: [d({ CPU: 4 }, 2)] }, []],
      ];
      for (const [name, over, want] of CASES) it(name, () => assert.deepEqual(run(over), want));
    });

    describe('performance-anchors §5 parity vectors (small cases)', () => {
      for (const c of ANCHOR_CASES.filter((x) => x.rayMs < 1500 && x.nodes <= 100)) {
        it(`${c.name} → ${JSON.stringify(c.expected)}`, () => assert.deepEqual(P.plan(anchorInput(c.nodes, c.demands(), c.speed)).launch, c.expected));
      }
    });
  });
}
