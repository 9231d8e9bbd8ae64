/**
 * Seeded random inputs for the plan() parity test: a mulberry32 PRNG and generators of node types, nodes, demand
 * lists (unmerged groups with repeated shapes), placement groups and whole PlanInputs, biased toward the corners
 * where Ray's order semantics decide the result (integer-like type names, zero-valued keys, implicit resources,
 * equal scores, unconnected/fully used nodes, heads of missing types).
 */
import type { Demand, NodeTypeSpec, PlanInput, PlanNode, Res } from '../../src/head/autoscaler/plan.js';

/** mulberry32: a tiny deterministic PRNG; the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience draws over one PRNG. */
export class Rng {
  constructor(private readonly next: () => number) {}
  /** Uniform in [0, 1). */
  f(): number { return this.next(); }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number { return lo + Math.floor(this.next() * (hi - lo + 1)); }
  /** True with probability p. */
  chance(p: number): boolean { return this.next() < p; }
  /** One element of a non-empty array. */
  pick<T>(xs: readonly T[]): T {
    const x = xs[Math.floor(this.next() * xs.length)];
    if (x === undefined) throw new Error('pick from an empty list');
    return x;
  }
  /** `k` distinct elements in random order. */
  sample<T>(xs: readonly T[], k: number): T[] {
    const rest = [...xs];
    const out: T[] = [];
    while (out.length < k && rest.length > 0) out.push(...rest.splice(Math.floor(this.next() * rest.length), 1));
    return out;
  }
}

// Integer-like names ("10", "2", "9") are hoisted by JS objects; "01" is not integer-like. Upper/lower case and
// digits sort differently from YAML order.
const NAMES = ['cpu', 'gpu', 'a', 'B', 'b', 'z', 'Z', 'm4.large', 'm4.4xlarge', 'p2.8xlarge', '10', '2', '9', '01', 'w-1', 'worker', 'big'];
const IMPLICIT = 'node:__internal_implicit_resource_pg1';
const NODE_VALUES: Record<string, number[]> = { CPU: [1, 2, 4, 8, 16, 0.5], GPU: [1, 2, 4, 8, 0], memory: [0.5, 1, 4, 16, 64], custom: [0.25, 0.5, 1, 2] };
const DEMAND_VALUES: Record<string, number[]> = { CPU: [0.5, 1, 1, 2, 4, 8], GPU: [1, 1, 2, 8, 0], memory: [0.5, 1, 4], custom: [0.25, 0.5, 1] };
const DECIMAL = [0.1, 0.2, 0.3, 0.7]; // non-binary fractions: float sums and residuals must follow Python floats

/** A node type's resources: 0–3 keys of the vocabulary in random order, sometimes a zero amount. */
export function nodeRes(r: Rng, decimal = false): Res {
  const out: Res = {};
  for (const k of r.sample(Object.keys(NODE_VALUES), r.chance(0.05) ? 0 : r.int(1, 3))) {
    out[k] = r.chance(0.08) ? 0 : decimal && k === 'CPU' && r.chance(0.5) ? r.pick([1.3, 2.2, 3]) : r.pick(NODE_VALUES[k] ?? [1]);
  }
  return out;
}

/** A demand shape: 1–3 keys, sometimes a zero-valued key, an implicit resource, a decimal fraction, or `{}`. */
export function shape(r: Rng, decimal = false): Res {
  if (r.chance(0.02)) return {};
  const out: Res = {};
  for (const k of r.sample(Object.keys(DEMAND_VALUES), r.int(1, r.chance(0.7) ? 1 : 3))) {
    out[k] = decimal && r.chance(0.5) ? r.pick(DECIMAL) : r.pick(DEMAND_VALUES[k] ?? [1]);
  }
  if (r.chance(0.1)) out[r.pick(['GPU', 'custom'])] = 0;
  if (r.chance(0.05)) out[IMPLICIT] = r.pick([1, 0.5]);
  return out;
}

/** 0–max groups drawn from a small pool of shapes (so shapes repeat, unmerged), counts 1–4. */
export function demandList(r: Rng, max: number, decimal = false): Demand[] {
  const pool = Array.from({ length: r.int(1, 6) }, () => shape(r, decimal));
  return Array.from({ length: r.int(0, max) }, () => ({ resources: { ...r.pick(pool) }, count: r.chance(0.6) ? 1 : r.int(2, 4) }));
}

/** 1–6 node types in YAML order with unique names, min 0–3, max 0–6 (min may exceed max). */
export function nodeTypes(r: Rng, decimal = false): NodeTypeSpec[] {
  return r.sample(NAMES, r.int(1, 6)).map((name) => ({ name, resources: nodeRes(r, decimal), minWorkers: r.chance(0.6) ? 0 : r.int(1, 3), maxWorkers: r.int(0, 6) }));
}

/** `available` of a connected node: some of each amount used, sometimes a key dropped. */
function partial(r: Rng, total: Res): Res {
  const out: Res = {};
  for (const [k, v] of Object.entries(total)) {
    if (r.chance(0.1)) continue;
    out[k] = r.pick([v, v, v / 2, 0, Math.floor(v * r.f())]);
  }
  return out;
}

/** A whole random plan() input in mode 'ray'. */
export function planInput(r: Rng): PlanInput {
  const decimal = r.chance(0.1);
  const types = nodeTypes(r, decimal);
  const names = types.map((t) => t.name);
  const headNodeType = r.chance(0.7) ? r.pick(names) : r.chance(0.5) ? 'missing-head' : null;
  const now = 1_000_000;
  const currentLaunchHash: Record<string, string> = {};
  const idleTimeoutMs: Record<string, number> = {};
  const backoffUntil: Record<string, number> = {};
  for (const n of names) {
    if (r.chance(0.9)) currentLaunchHash[n] = `h-${n}`;
    if (r.chance(0.85)) idleTimeoutMs[n] = r.pick([60_000, 300_000]);
    if (r.chance(0.15)) backoffUntil[n] = now + r.pick([-1000, 0, 1000]);
  }
  const stamps = [now, now - 1000, now - 59_000, now - 61_000, now - 300_000, now - 400_000];
  const nodes: PlanNode[] = [];
  for (let i = 0, n = r.int(0, 15); i < n; i++) {
    const kind = i === 0 && r.chance(0.6) ? 'head' : r.pick(['worker', 'worker', 'worker', 'worker', 'worker', 'worker', 'worker', null, null, 'head'] as const);
    const nodeType = kind === 'head' && headNodeType !== null && r.chance(0.7) ? headNodeType
      : r.chance(0.85) ? r.pick(names) : r.chance(0.5) ? 'gone' : null;
    const configured = types.find((t) => t.name === nodeType)?.resources ?? nodeRes(r);
    const node: PlanNode = { id: `n${i}`, nodeType, kind };
    if (r.chance(0.6)) node.ip = `ip-n${i}`;
    if (r.chance(0.7)) node.available = r.chance(0.2) ? {} : partial(r, configured);
    if (r.chance(0.75)) node.total = r.chance(0.8) ? { ...configured } : { ...configured, CPU: r.pick([2, 3, 32]), memory: r.pick([1, 100]) };
    if (r.chance(0.8)) node.lastUsedAt = r.pick(stamps) - (r.chance(0.5) ? 0 : r.int(0, 5));
    node.launchHash = nodeType !== null && r.chance(0.85) ? currentLaunchHash[nodeType] : 'old';
    if (r.chance(0.5)) node.registeredAt = now - r.int(0, 600_000);
    nodes.push(node);
  }
  const launching: Record<string, number> = {};
  for (const n of names) if (r.chance(0.25)) launching[n] = r.int(0, 3);
  const strategies = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD'] as const;
  const placementGroups: PlanInput['placementGroups'] = [];
  for (const strategy of strategies) {
    for (let i = 0, n = r.chance(0.5) ? 0 : r.int(1, 3); i < n; i++) {
      placementGroups.push({ id: `pg${placementGroups.length}`, strategy, bundles: demandList(r, 3, decimal).concat([{ resources: shape(r), count: 1 }]) });
    }
  }
  return {
    nodeTypes: types, headNodeType, maxWorkers: r.pick([0, 1, 3, 5, 10, 20, 50]), upscalingSpeed: r.pick([0, 0.5, 1, 3]),
    nodes, launching, demands: demandList(r, 40, decimal), placementGroups: r.chance(0.7) ? placementGroups : [],
    requestedBundles: r.chance(0.5) ? [] : demandList(r, 5, decimal), backoffUntil, idleTimeoutMs, currentLaunchHash, now, mode: 'ray',
  };
}

/**
 * A plan() input aimed at Python dict order vs JS key order: integer-like type names ("10", "2", "9" are hoisted by
 * JS objects) next to ordinary ones, several unconnected workers of each (so request_resources lists capacities
 * per type in order of first appearance) and sometimes a STRICT_SPREAD group (new nodes in order of first pick).
 */
export function orderInput(r: Rng): PlanInput {
  const names = [...r.sample(['cpu', 'b', 'Z'], r.int(1, 2)), ...r.sample(['10', '2', '9'], r.int(1, 2))];
  const nodeTypes = names.map((name): NodeTypeSpec => ({ name, resources: r.chance(0.7) ? { CPU: r.int(1, 6) } : { CPU: r.int(1, 6), GPU: r.int(0, 2) }, minWorkers: 0, maxWorkers: r.int(1, 4) }));
  const nodes: PlanNode[] = Array.from({ length: r.int(3, 10) }, (_, j) => ({ id: `n${j}`, nodeType: r.pick(names), kind: 'worker', launchHash: 'h' }));
  const one = (): Res => (r.chance(0.8) ? { CPU: r.int(1, 4) } : { CPU: r.int(0, 2), GPU: 1 });
  return {
    nodeTypes, headNodeType: null, maxWorkers: 50, upscalingSpeed: 1, nodes, launching: {},
    demands: Array.from({ length: r.int(0, 6) }, () => ({ resources: one(), count: r.int(1, 2) })),
    placementGroups: r.chance(0.5) ? [] : [{ id: 's', strategy: 'STRICT_SPREAD', bundles: Array.from({ length: r.int(2, 4) }, () => ({ resources: one(), count: 1 })) }],
    requestedBundles: Array.from({ length: r.int(2, 6) }, () => ({ resources: one(), count: r.int(1, 4) })),
    backoffUntil: {}, idleTimeoutMs: {}, currentLaunchHash: Object.fromEntries(names.map((n) => [n, 'h'])), now: 0, mode: 'ray',
  };
}
