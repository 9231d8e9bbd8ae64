import { type Fixed, add, fits, shapeKey, subtract } from '../common/resources.js';
import { feasibleOn } from './scheduler.js';

/** How a placement group's bundles may share nodes (Ray's four strategies). */
export type Strategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';

/** A node as placement sees it: what it can still hand out now. */
export interface PlacementNode {
  nodeId: string;
  available: Fixed;
}

/** Groups are small; the bound keeps a pathological one from stalling a scheduling pass. */
const SEARCH_STEPS = 10_000;

/** One planning call's working state; `out` is filled in as bundles are placed. */
interface Plan {
  need: (bundle: number) => Fixed;
  left: (nodeId: string, avail?: ReadonlyMap<string, Fixed>) => Fixed;
  /** Bundles still to place, by index. */
  rest: readonly number[];
  /** Nodes of the fixed bundles, first-seen order, repeats kept (STRICT_SPREAD must see them). */
  held: readonly string[];
  /** Node ids in the caller's order: every tie-break falls back to it. */
  ids: readonly string[];
  avail: ReadonlyMap<string, Fixed>;
  out: (string | undefined)[];
}

function sum(bundles: readonly Fixed[]): Fixed {
  return bundles.reduce<Fixed>((s, b) => add(s, b), {});
}

/** Negative when `a` is bigger: CPU is what groups are mostly sized by; the total breaks CPU ties. */
function larger(a: Fixed, b: Fixed): number {
  const total = (f: Fixed) => Object.values(f).reduce((s, v) => s + v, 0);
  return (b.CPU ?? 0) - (a.CPU ?? 0) || total(b) - total(a);
}

/**
 * Any assignment of `items` over nodes tried in `order`, by bounded depth-first search: the greedy passes
 * can miss a packing that exists, and groups are small enough to afford looking.
 */
function search(p: Plan, items: readonly number[], order: readonly string[]): boolean {
  const avail = new Map(p.avail);
  let steps = 0;
  const go = (k: number): boolean => {
    const b = items[k];
    if (b === undefined) return true;
    // Nodes with the same room left are interchangeable for the rest of the search: trying one is enough.
    const tried = new Set<string>();
    for (const id of order) {
      if (++steps > SEARCH_STEPS) return false;
      const left = p.left(id, avail);
      const key = shapeKey(left);
      if (tried.has(key) || !fits(left, p.need(b))) continue;
      tried.add(key);
      avail.set(id, subtract(left, p.need(b)));
      p.out[b] = id;
      if (go(k + 1)) return true;
      avail.set(id, left);
    }
    return false;
  };
  return go(0);
}

function strictPack(p: Plan): boolean {
  const held = [...new Set(p.held)];
  if (held.length > 1) return false;
  if (p.rest.length === 0) return true;
  const total = sum(p.rest.map(p.need));
  // Fixed bundles pin the group's node: the rest may only join them there.
  const id = (held.length === 1 ? held : p.ids).find((n) => fits(p.left(n), total));
  if (id === undefined) return false;
  for (const b of p.rest) p.out[b] = id;
  return true;
}

/** Distinct nodes per bundle is a bipartite matching; augmenting paths find one whenever one exists. */
function strictSpread(p: Plan): boolean {
  const held = new Set(p.held);
  if (held.size < p.held.length) return false;
  const ids = p.ids.filter((n) => !held.has(n));
  const owner = new Map<string, number>();
  const augment = (b: number, seen: Set<string>): boolean => {
    const fitting = ids.filter((n) => !seen.has(n) && fits(p.left(n), p.need(b)));
    // A free node first, so bundles move only when they must and the answer stays first-fit where it can.
    const free = fitting.find((n) => !owner.has(n));
    if (free !== undefined) {
      owner.set(free, b);
      return true;
    }
    for (const id of fitting) {
      if (seen.has(id)) continue;
      seen.add(id);
      const o = owner.get(id);
      if (o === undefined || augment(o, seen)) {
        owner.set(id, b);
        return true;
      }
    }
    return false;
  };
  for (const b of p.rest) if (!augment(b, new Set())) return false;
  for (const [id, b] of owner) p.out[b] = id;
  return true;
}

function pack(p: Plan): boolean {
  const held = [...new Set(p.held)];
  // One node is the whole point of PACK, so it is tried before any split: the fixed bundles' node when
  // they share one (anything else is already two nodes), else the first node that holds everything.
  if (held.length <= 1) {
    const total = sum(p.rest.map(p.need));
    const id = (held.length === 1 ? held : p.ids).find((n) => fits(p.left(n), total));
    if (id !== undefined) {
      for (const b of p.rest) p.out[b] = id;
      return true;
    }
  }
  // First-fit decreasing: big bundles first while there is room for them, roomiest nodes first so fewer
  // get opened, and nodes already in use before new ones.
  const order = [...p.rest].sort((a, b) => larger(p.need(a), p.need(b)));
  const bySize = [...p.ids].sort((a, b) => larger(p.left(a), p.left(b)));
  const used = new Set(held);
  const avail = new Map(p.avail);
  const greedy = order.every((b) => {
    const nodes = [...bySize.filter((n) => used.has(n)), ...bySize.filter((n) => !used.has(n))];
    const id = nodes.find((n) => fits(p.left(n, avail), p.need(b)));
    if (id === undefined) return false;
    avail.set(id, subtract(p.left(id, avail), p.need(b)));
    used.add(id);
    p.out[b] = id;
    return true;
  });
  if (greedy) return true;
  const heldFirst = [...bySize.filter((n) => held.includes(n)), ...bySize.filter((n) => !held.includes(n))];
  return search(p, order, heldFirst);
}

function spread(p: Plan): boolean {
  const uses = new Map<string, number>();
  const use = (n: string) => uses.get(n) ?? 0;
  for (const n of p.held) uses.set(n, use(n) + 1);
  const avail = new Map(p.avail);
  const greedy = p.rest.every((b) => {
    let best: string | undefined;
    for (const id of p.ids) {
      if (!fits(p.left(id, avail), p.need(b))) continue;
      // Least used first; among equals the roomiest, so later bundles still find a fresh node that fits.
      if (best === undefined || (use(id) - use(best) || larger(p.left(id, avail), p.left(best, avail))) < 0) best = id;
    }
    if (best === undefined) return false;
    avail.set(best, subtract(p.left(best, avail), p.need(b)));
    uses.set(best, use(best) + 1);
    p.out[b] = best;
    return true;
  });
  return greedy || search(p, p.rest, p.ids);
}

/**
 * Where each bundle goes (nodeId per bundle index), or undefined when the bundles cannot all be reserved on these nodes now.
 * `fixed` maps bundle indexes that are already placed (kept where they are; e.g. the surviving bundles of a group that lost a node) to their node; only the other bundles are placed, and the strategy is honoured for the group as a whole (STRICT_SPREAD never reuses a node of a fixed bundle; STRICT_PACK puts the rest on the fixed bundles' node).
 * Nodes' `available` must already exclude what fixed bundles hold.
 * Deterministic, ties keep node order; bundles sharing a node must fit it together. PACK and SPREAD are best
 * effort: when their greedy pass fails, a bounded search returns any valid assignment it finds.
 */
export function planPlacement(
  nodes: readonly PlacementNode[],
  bundles: readonly Fixed[],
  strategy: Strategy,
  fixed: ReadonlyMap<number, string> = new Map(),
): string[] | undefined {
  const avail = new Map(nodes.map((n) => [n.nodeId, n.available]));
  const out = bundles.map((_, i) => fixed.get(i));
  const p: Plan = {
    need: (b) => bundles[b] ?? {},
    // A fixed bundle's node may be missing from `nodes` (full, say): it has nothing left to give.
    left: (n, from = avail) => from.get(n) ?? {},
    rest: bundles.flatMap((_, i) => (fixed.has(i) ? [] : [i])),
    held: out.filter((n) => n !== undefined),
    ids: [...avail.keys()],
    avail,
    out,
  };
  const plan = { PACK: pack, SPREAD: spread, STRICT_PACK: strictPack, STRICT_SPREAD: strictSpread }[strategy];
  if (!plan(p)) return undefined;
  return out.every((n) => n !== undefined) ? out : undefined;
}

/** Whether the group could ever be placed on a cluster whose possible nodes have these shapes (node types' total resources) and at most `maxNodes` nodes in all; used to report infeasible groups. STRICT_PACK: the sum of the bundles must fit one shape; STRICT_SPREAD: each bundle must fit some shape and bundles.length <= maxNodes; PACK/SPREAD: each bundle must fit some shape. */
export function placementFeasible(shapes: readonly Fixed[], bundles: readonly Fixed[], strategy: Strategy, maxNodes: number): boolean {
  if (strategy === 'STRICT_PACK') return bundles.length === 0 || feasibleOn(shapes, sum(bundles));
  if (strategy === 'STRICT_SPREAD' && bundles.length > maxNodes) return false;
  return bundles.every((b) => feasibleOn(shapes, b));
}
