/**
 * Deterministic bin-packer inputs (the published performance anchors' cases) and their expected `to_launch` (Ray's
 * own decision, measured standalone with Ray's resource demand scheduler). Shared by
 * bench/autoscaler.ts and the worked-example tests.
 */
import type { Demand, NodeTypeSpec, PlanInput, PlanNode, Res } from '../../src/head/autoscaler/plan.js';

/** cpu4, cpu16, cpu64, gpu1, gpu8 in this (YAML) order; max_workers 2000, min_workers 0 each. */
export const ANCHOR_TYPES: NodeTypeSpec[] = [
  { name: 'cpu4', resources: { CPU: 4 }, minWorkers: 0, maxWorkers: 2000 },
  { name: 'cpu16', resources: { CPU: 16 }, minWorkers: 0, maxWorkers: 2000 },
  { name: 'cpu64', resources: { CPU: 64 }, minWorkers: 0, maxWorkers: 2000 },
  { name: 'gpu1', resources: { CPU: 8, GPU: 1 }, minWorkers: 0, maxWorkers: 2000 },
  { name: 'gpu8', resources: { CPU: 32, GPU: 8 }, minWorkers: 0, maxWorkers: 2000 },
];

const MIXED_SHAPES: Res[] = [{ CPU: 1 }, { CPU: 2 }, { CPU: 4 }, { CPU: 1, GPU: 1 }, { CPU: 8, GPU: 8 }, { CPU: 0.5 }];

/** Node 0 = head (cpu16); node i ≥ 1 = worker of types[i % 5]; available: even i → v, odd i → v − (7i mod (⌊v⌋+1)). */
export function anchorNodes(n: number): PlanNode[] {
  const nodes: PlanNode[] = [];
  for (let i = 0; i < n; i++) {
    const spec = i === 0 ? ANCHOR_TYPES[1] : ANCHOR_TYPES[i % 5];
    if (!spec) throw new Error('unreachable');
    const available: Res = {};
    for (const [k, v] of Object.entries(spec.resources)) available[k] = i % 2 === 0 ? v : v - ((7 * i) % (Math.floor(v) + 1));
    nodes.push({ id: `n${i}`, ip: `ip-n${i}`, nodeType: spec.name, kind: i === 0 ? 'head' : 'worker', total: { ...spec.resources }, available });
  }
  return nodes;
}

/** `count` × {CPU:1}, as one run (`grouped`) or as `count` unmerged groups of one. */
export function oneCpuDemands(count: number, grouped = true): Demand[] {
  return grouped ? [{ resources: { CPU: 1 }, count }] : Array.from({ length: count }, () => ({ resources: { CPU: 1 }, count: 1 }));
}

/** Item i = shapes[(7i + 3) mod 6], one group per item (consecutive items always differ). */
export function mixedDemands(count: number): Demand[] {
  return Array.from({ length: count }, (_, i) => ({ resources: { ...MIXED_SHAPES[(7 * i + 3) % 6] }, count: 1 }));
}

/** A whole plan() input of §5: head cpu16, global max_workers 10000, no launches, PGs or requests. */
export function anchorInput(nodes: number, demands: Demand[], upscalingSpeed = 1): PlanInput {
  return {
    nodeTypes: ANCHOR_TYPES.map((t) => ({ ...t, resources: { ...t.resources } })), headNodeType: 'cpu16', maxWorkers: 10000,
    upscalingSpeed, nodes: anchorNodes(nodes), launching: {}, demands, placementGroups: [], requestedBundles: [],
    backoffUntil: {}, idleTimeoutMs: {}, currentLaunchHash: {}, now: 0, mode: 'ray',
  };
}

/** One row of the §2 table: the case, how to build it, Ray's median Python time and its to_launch. */
export type AnchorCase = { name: string; nodes: number; demands: () => Demand[]; speed: number; mixed: boolean; rayMs: number; expected: Record<string, number> };

/** The rows of performance-anchors.md §2 "Bin-packer cost — measured here", in table order. */
export const ANCHOR_CASES: AnchorCase[] = [
  { name: '100 nodes, 10k × {CPU:1} (reference)', nodes: 100, demands: () => oneCpuDemands(10_000), speed: 1, mixed: false, rayMs: 3300, expected: { cpu4: 1, cpu16: 2, cpu64: 20 } },
  { name: '100 nodes, 10k × {CPU:1}, uncapped', nodes: 100, demands: () => oneCpuDemands(10_000), speed: 1e9, mixed: false, rayMs: 2800, expected: { cpu4: 1, cpu16: 2, cpu64: 126 } },
  { name: '100 nodes, 2k × {CPU:1}', nodes: 100, demands: () => oneCpuDemands(2_000), speed: 1, mixed: false, rayMs: 43, expected: { cpu4: 1, cpu16: 2, cpu64: 1 } },
  { name: '100 nodes, 5k × {CPU:1}', nodes: 100, demands: () => oneCpuDemands(5_000), speed: 1, mixed: false, rayMs: 710, expected: { cpu4: 3, cpu16: 1, cpu64: 20 } },
  { name: '100 nodes, 20k × {CPU:1}', nodes: 100, demands: () => oneCpuDemands(20_000), speed: 1, mixed: false, rayMs: 18_100, expected: { cpu64: 20 } },
  { name: '10 nodes, 1k × {CPU:1}', nodes: 10, demands: () => oneCpuDemands(1_000), speed: 1, mixed: false, rayMs: 40, expected: { cpu64: 5 } },
  { name: '10 nodes, 10k × {CPU:1}', nodes: 10, demands: () => oneCpuDemands(10_000), speed: 1, mixed: false, rayMs: 3600, expected: { cpu4: 2, cpu16: 2, cpu64: 5 } },
  { name: '1000 nodes, 1k × {CPU:1}', nodes: 1000, demands: () => oneCpuDemands(1_000), speed: 1, mixed: false, rayMs: 22, expected: {} },
  { name: '1000 nodes, 10k × {CPU:1}', nodes: 1000, demands: () => oneCpuDemands(10_000), speed: 1, mixed: false, rayMs: 930, expected: {} },
  { name: '100 nodes, 2k mixed', nodes: 100, demands: () => mixedDemands(2_000), speed: 1, mixed: true, rayMs: 1360, expected: { gpu1: 1, gpu8: 20 } },
  { name: '100 nodes, 5k mixed', nodes: 100, demands: () => mixedDemands(5_000), speed: 1, mixed: true, rayMs: 11_200, expected: { gpu8: 20 } },
  { name: '100 nodes, 10k mixed', nodes: 100, demands: () => mixedDemands(10_000), speed: 1, mixed: true, rayMs: 45_500, expected: { gpu8: 20 } },
];
