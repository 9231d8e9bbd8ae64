/**
 * The ORACLE for src/head/autoscaler/plan.ts in mode 'ray': a literal, straightforward transcription of Ray's
 * resource demand scheduler (`get_nodes_to_launch` in Ray's autoscaler/_private/resource_demand_scheduler.py, steps
 * 1–10) and of its termination rules (`terminate_nodes_to_enforce_config_constraints`), written from a description only. Correctness over speed: run-length demands are
 * expanded into one dict per unit, sorted (stable) by demand_sort_key descending and first-fitted unit by unit.
 * Exports the same functions and types as plan.ts so tests can run both on the same input.
 *
 * Choices where Ray would raise (we never throw): a `launching` type missing from nodeTypes is skipped; the head
 * type may be missing from nodeTypes (it then adds nothing); an unsatisfiable STRICT_SPREAD group is not asserted.
 */
import type { Demand, NodeTypeSpec, PlanInput, PlanNode, PlanOutput, Res } from '../../src/head/autoscaler/plan.js';
import {
  binPack, expand, fits, fromRD, getNodesFor, getOr0, mergeRuns, score, toRD, typeTable, type RD, type TypeTable,
} from './ray-reference-binpack.js';
import { referenceTerminations } from './ray-reference-terminate.js';

/** The same types as plan.ts (re-exported so the oracle can stand in for it). */
export type { Demand, NodeTypeSpec, PlanInput, PlanNode, PlanOutput, Res };

const sumValues = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);
const inc = (m: Map<string, number>, k: string, n: number) => m.set(k, (m.get(k) ?? 0) + n); // defaultdict(int) `+=`
const copies = (r: RD, n: number): RD[] => Array.from({ length: Math.max(0, n) }, () => new Map(r));

/** Oracle `_resource_based_utilization_scorer`: exactly `null` when nothing fits or the node has no resource ≥ 1. */
export function utilizationScore(nodeResources: Res, demands: Demand[]): [boolean, number, number, number] | null {
  return score(toRD(nodeResources), expand(demands));
}

/** Oracle `get_bin_pack_residual`: unfulfilled in sort order (merged into runs); residual = untouched, then used. */
export function binPackResidual(nodes: Res[], demands: Demand[], opts?: { strictSpread?: boolean }): { unfulfilled: Demand[]; residual: Res[] } {
  const r = binPack(nodes.map(toRD), expand(demands), opts?.strictSpread ?? false);
  return { unfulfilled: mergeRuns(r.unfulfilled), residual: r.residual.map(fromRD) };
}

/** Oracle `get_nodes_for`: node types to add (YAML order, ties to the larger name) and what still does not fit. */
export function nodesFor(types: NodeTypeSpec[], existing: Record<string, number>, headType: string | null, maxToAdd: number,
  demands: Demand[], opts?: { strictSpread?: boolean }): { toAdd: Record<string, number>; unfulfilled: Demand[] } {
  const r = getNodesFor(typeTable(types), (t) => getOr0(existing, t), headType, maxToAdd, expand(demands), opts?.strictSpread ?? false);
  return { toAdd: Object.fromEntries(r.toAdd), unfulfilled: mergeRuns(r.unfulfilled) };
}

/**
 * Step 3, `_add_min_workers_nodes`, in place on `nodeRes`/`counts`: min-worker nodes in config order, then (only when
 * request_resources bundles exist) nodes for those bundles; returns adjusted_min. `counts` is a Map because the
 * request part appends configured capacities "for t in counts", i.e. in Python dict insertion order.
 */
function addMinWorkers(types: TypeTable, nodeRes: RD[], counts: Map<string, number>, headType: string | null,
  maxWorkers: number, requested: RD[], exclude?: ReadonlySet<string>): Map<string, number> {
  const adjusted = new Map<string, number>();
  for (const [t, cfg] of types) {
    const target = Math.min(cfg.minWorkers, cfg.maxWorkers) + (t === headType ? 1 : 0);
    const have = counts.get(t) ?? 0; // a defaultdict read; the 0 key it would insert never changes an append order
    if (have < target) {
      adjusted.set(t, target - have);
      nodeRes.push(...copies(cfg.resources, target - have));
      counts.set(t, target); // assigning an existing key keeps its position (Python dict)
    }
  }
  if (requested.length > 0) {
    const maxToAdd = maxWorkers + 1 - sumValues(counts);
    const caps: RD[] = []; // configured totals: current usage is ignored
    for (const [t, c] of counts) {
      const cfg = types.get(t);
      if (cfg) caps.push(...copies(cfg.resources, c));
    }
    const unf = binPack(caps, requested).unfulfilled;
    const add = getNodesFor(types, (t) => counts.get(t) ?? 0, headType, maxToAdd, unf, false, exclude).toAdd;
    for (const [t, n] of add) { // to_add's insertion order = order of first pick
      inc(counts, t, n);
      nodeRes.push(...copies(types.get(t)?.resources ?? new Map<string, number>(), n));
      inc(adjusted, t, n);
    }
  }
  return adjusted;
}

/**
 * Oracle `_add_min_workers_nodes`: returns the input nodes, then min-worker nodes in type order, then nodes added
 * for `requested` (`maxWorkers` only read when `requested` is non-empty); `added` = adjusted_min.
 */
export function addMinWorkerNodes(types: NodeTypeSpec[], nodeResources: Res[], counts: Record<string, number>, headType: string | null,
  maxWorkers: number, requested: Demand[]): { nodeResources: Res[]; counts: Record<string, number>; added: Record<string, number> } {
  const nodeRes = nodeResources.map(toRD);
  const c = new Map(Object.entries(counts)); // the caller's record order is the only order there is
  const added = addMinWorkers(typeTable(types), nodeRes, c, headType, maxWorkers, expand(requested));
  return { nodeResources: nodeRes.map(fromRD), counts: Object.fromEntries(c), added: Object.fromEntries(added) };
}

/**
 * Oracle `_get_concurrent_resource_demand_to_launch`: per type at most max(5, int(speed × max(running, 1))) nodes in
 * flight, except that min_workers / request_resources (adjustedMin) and placement-group nodes bypass the limit.
 */
export function limitConcurrency(toLaunch: Record<string, number>, ctx: { upscalingSpeed: number; nodes: PlanNode[];
  connectedIps: string[]; launching: Record<string, number>; adjustedMin: Record<string, number>; pgNodes: Record<string, number> }): Record<string, number> {
  const connected = new Set(ctx.connectedIps);
  const running = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const n of ctx.nodes) {
    if (n.nodeType === null) continue; // only nodes with a user node type
    inc(connected.has(n.ip ?? n.id) ? running : pending, n.nodeType, 1);
  }
  const out: Record<string, number> = {};
  for (const [t, total] of Object.entries(toLaunch)) {
    const maxPending = Math.max(5, Math.trunc(ctx.upscalingSpeed * Math.max(running.get(t) ?? 0, 1))); // int() truncates
    const inFlight = getOr0(ctx.launching, t) + (pending.get(t) ?? 0);
    const upper = Math.max(maxPending - inFlight, getOr0(ctx.adjustedMin, t) + getOr0(ctx.pgNodes, t));
    if (upper > 0) out[t] = Math.min(upper, total);
  }
  return out;
}

/** Step 1, `_update_node_resources_from_runtime`: learn CPU/GPU/memory/object_store_memory from static resources. */
function learnFromRuntime(types: TypeTable, nodes: PlanNode[]): void {
  const done = new Set<string>();
  for (const n of nodes) {
    if (done.size === types.size) return;
    const t = n.nodeType;
    if (t === null || done.has(t)) continue;
    const cfg = types.get(t);
    if (!cfg) continue;
    const total = n.total; // max_by_ip[ip]; `if runtime_resources:` — an empty dict is falsy
    if (!total || Object.keys(total).length === 0) continue;
    for (const key of ['CPU', 'GPU', 'memory', 'object_store_memory']) {
      const v = Object.hasOwn(total, key) ? total[key] : undefined;
      if (v !== undefined) cfg.resources.set(key, v); // a new key is appended (dict order)
    }
    if (n.kind === 'worker') done.add(t); // learned from the head (other memory) is not final
  }
}

/** Step 4, `placement_groups_to_resource_demands`: PACK/SPREAD bundles, STRICT_PACK summed, STRICT_SPREAD groups. */
function pgDemands(pgs: PlanInput['placementGroups']): { pgVector: RD[]; strictSpreads: RD[][] } {
  const pgVector: RD[] = [];
  const strictSpreads: RD[][] = [];
  for (const pg of pgs) {
    const shapes = expand(pg.bundles);
    if (pg.strategy === 'PACK' || pg.strategy === 'SPREAD') pgVector.push(...shapes);
    else if (pg.strategy === 'STRICT_PACK') {
      const combined: RD = new Map(); // defaultdict(float): keys in order of first appearance, zero amounts kept
      for (const s of shapes) for (const [k, v] of s) combined.set(k, (combined.get(k) ?? 0) + v);
      pgVector.push(combined);
    } else strictSpreads.push(shapes);
  }
  return { pgVector, strictSpreads };
}

/**
 * Oracle plan(): §3.4 terminations, then `get_nodes_to_launch` steps 1–10 on the remaining nodes (backed-off
 * types are no candidates), `unfulfilled` = step 7's leftovers, `infeasible` = task/actor demands (input order)
 * that fit no launchable node type (the head type, or max_workers > 0).
 */
export function plan(input: PlanInput): PlanOutput {
  const terminate = referenceTerminations(input, typeTable(input.nodeTypes));
  const gone = new Set(terminate.map((t) => t.id));
  const nodes = input.nodes.filter((n) => !gone.has(n.id));
  const head = input.headNodeType;
  const exclude = new Set(Object.keys(input.backoffUntil).filter((t) => getOr0(input.backoffUntil, t) > input.now));
  const types = typeTable(input.nodeTypes); // the scheduler's deep copy
  learnFromRuntime(types, nodes); // 1
  // 2. calculate_node_resources
  let nodeRes: RD[] = [];
  const counts = new Map<string, number>(); // defaultdict(int): insertion order = first increment
  for (const n of nodes) {
    const cfg = n.nodeType === null ? undefined : types.get(n.nodeType);
    if (!cfg || n.nodeType === null) continue; // no user type, or a type not configured: skipped
    nodeRes.push(n.available !== undefined ? toRD(n.available) : new Map(cfg.resources)); // {} = fully used
    inc(counts, n.nodeType, 1);
  }
  for (const [t, c] of Object.entries(input.launching)) {
    const cfg = types.get(t);
    if (!cfg) continue; // Ray: KeyError
    nodeRes.push(...copies(cfg.resources, c));
    inc(counts, t, c); // `+= 0` still inserts the key (position only)
  }
  // 3.
  const adjusted = addMinWorkers(types, nodeRes, counts, head, input.maxWorkers, expand(input.requestedBundles), exclude);
  // 4.
  const { pgVector, strictSpreads } = pgDemands(input.placementGroups);
  const taskDemands = expand(input.demands);
  const resourceDemands = [...pgVector, ...taskDemands];
  // 5. reserve_and_allocate_spread
  const spreadAdd = new Map<string, number>();
  for (const group of strictSpreads) {
    const first = binPack(nodeRes, group, true);
    nodeRes = first.residual; // untouched nodes first, then the used ones: later first-fits see this order
    const maxToAdd = input.maxWorkers + 1 - sumValues(counts);
    const launch = getNodesFor(types, (t) => counts.get(t) ?? 0, head, maxToAdd, first.unfulfilled, true, exclude).toAdd;
    const fresh: RD[] = [];
    for (const [t, n] of launch) { // type order of `launch` (first pick)
      inc(counts, t, n);
      inc(spreadAdd, t, n);
      fresh.push(...copies(types.get(t)?.resources ?? new Map<string, number>(), n));
    }
    nodeRes = [...nodeRes, ...binPack(fresh, first.unfulfilled, true).residual]; // Ray asserts nothing is left
  }
  // 6. placement-group nodes are exempt from the launch limit
  const unfPg = binPack(nodeRes, pgVector).unfulfilled;
  const maxToAdd = input.maxWorkers + 1 - sumValues(counts);
  const pgLimit = getNodesFor(types, (t) => counts.get(t) ?? 0, head, maxToAdd, unfPg, false, exclude).toAdd;
  const pgNodes: Record<string, number> = {};
  for (const t of new Set([...spreadAdd.keys(), ...pgLimit.keys()])) pgNodes[t] = (spreadAdd.get(t) ?? 0) + (pgLimit.get(t) ?? 0);
  // 7.
  const unf = binPack(nodeRes, resourceDemands).unfulfilled;
  const byDemand = getNodesFor(types, (t) => counts.get(t) ?? 0, head, maxToAdd, unf, false, exclude);
  // 8.
  const total: Record<string, number> = {};
  for (const t of new Set([...adjusted.keys(), ...spreadAdd.keys(), ...byDemand.toAdd.keys()])) {
    const n = (adjusted.get(t) ?? 0) + (spreadAdd.get(t) ?? 0) + (byDemand.toAdd.get(t) ?? 0);
    if (n > 0) total[t] = n;
  }
  // 9. connected = keys(unused_by_ip): every node that reported available resources
  const launch = limitConcurrency(total, {
    upscalingSpeed: input.upscalingSpeed, nodes, launching: input.launching, pgNodes,
    connectedIps: input.nodes.filter((n) => n.available !== undefined).map((n) => n.ip ?? n.id),
    adjustedMin: Object.fromEntries(adjusted),
  });
  // is_feasible(bundle): some launchable type (head type or max_workers > 0) fits it (runtime-learned resources).
  const feasible = (d: RD) => [...types].some(([t, cfg]) => (t === head || cfg.maxWorkers > 0) && fits(cfg.resources, d));
  // 10.
  return { launch, terminate, unfulfilled: mergeRuns(byDemand.unfulfilled), infeasible: mergeRuns(taskDemands.filter((d) => !feasible(d))) };
}
