/**
 * What the autoscaler plans, as one pure function of what it knows: Ray's resource demand scheduler and its
 * termination rules (terminate.ts), on run-length demand lists so that thousands of requests cost what a few
 * shapes do. `mode: 'ray'` reproduces Ray exactly, order dependence included (the parity tests hold it to a
 * transcription of Ray); `mode: 'improved'` is what decide() runs, differing where marked 'improved' below:
 * SPREAD groups spread, a backed-off type never launched, max_workers never overshot (withinGlobalMax).
 */
import { binPackResidual, consume, type Demand, dropFirst, mergeAdjacent, type Res, unitFits, units } from './resources.js';
import type { NodeTypeSpec, PlanInput, PlanNode, PlanOutput } from './plan-types.js';
import { terminations } from './terminate.js';

export type { Demand, Res } from './resources.js';
export { binPackResidual } from './resources.js';
export type { NodeTypeSpec, PlanInput, PlanNode, PlanOutput } from './plan-types.js';

const GPU_CONSERVE = true;

/**
 * Ray's utilization score of a node type for some demands (taken in the order given, first fit): null when no
 * demand fits (or the node has no resource of at least 1); else (GPUs not wasted on CPU work, resources that
 * match the demands, the least and the mean capacity-weighted cubic utilization), compared as a tuple.
 */
export function utilizationScore(nodeResources: Res, demands: Demand[]): [boolean, number, number, number] | null {
  const remaining: Res = { ...nodeResources };
  const types = new Set<string>();
  let fittable = 0;
  for (const d of demands) {
    for (const [k, v] of Object.entries(d.resources)) if (v > 0) types.add(k);
    for (let i = 0; i < d.count && unitFits(remaining, d.resources); i++) {
      consume(remaining, d.resources);
      fittable += 1;
      if (!Object.values(d.resources).some((v) => v > 0)) break; // a zero request fits without end
    }
  }
  if (fittable === 0) return null;
  const util: number[] = [];
  let matching = 0;
  for (const [k, v] of Object.entries(nodeResources)) {
    if (v < 1) continue;
    if (types.has(k)) matching += 1;
    const u = (v - (remaining[k] ?? 0)) / v;
    util.push(v * u ** 3);
  }
  if (util.length === 0) return null;
  const gpuOk = !(GPU_CONSERVE && (nodeResources.GPU ?? 0) > 0 && !demands.some((d) => 'GPU' in d.resources));
  return [gpuOk, matching, Math.min(...util), util.reduce((a, b) => a + b, 0) / util.length];
}

/** Python's tuple comparison of two scores, then the type name (max() keeps the larger name on a tie). */
function better(a: [[boolean, number, number, number], string], b: [[boolean, number, number, number], string]): boolean {
  for (let i = 0; i < 4; i++) {
    const x = Number(a[0][i]);
    const y = Number(b[0][i]);
    if (x !== y) return x > y;
  }
  return a[1] > b[1];
}

/**
 * Ray's get_nodes_for: adds one node at a time, of the type that scores best on the demands left, until they
 * are met, no type can help, or `maxToAdd` nodes were added. A type's cap is its maxWorkers (+1 for the head type).
 */
export function nodesFor(types: NodeTypeSpec[], existing: Record<string, number>, headType: string | null, maxToAdd: number, demands: Demand[],
  opts: { strictSpread?: boolean } = {}): { toAdd: Record<string, number>; unfulfilled: Demand[] } {
  const r = nodesForOrdered(types, existing, headType, maxToAdd, demands, opts);
  return { toAdd: Object.fromEntries(r.toAdd), unfulfilled: r.unfulfilled };
}

/** nodesFor with the types in the order they were picked (a plain object would put "10" before "a"). */
function nodesForOrdered(types: NodeTypeSpec[], existing: Record<string, number>, headType: string | null, maxToAdd: number, demands: Demand[],
  opts: { strictSpread?: boolean } = {}): { toAdd: Map<string, number>; unfulfilled: Demand[] } {
  const toAdd = new Map<string, number>();
  let added = 0;
  let left = opts.strictSpread ? demands.filter((d) => d.count > 0) : mergeAdjacent(demands);
  while (units(left) > 0 && added < maxToAdd) {
    let best: [[boolean, number, number, number], string] | undefined;
    for (const t of types) {
      const capacity = (t.maxWorkers ?? 0) + (t.name === headType ? 1 : 0);
      if ((existing[t.name] ?? 0) + (toAdd.get(t.name) ?? 0) >= capacity) continue;
      const first = left[0];
      const s = utilizationScore(t.resources, opts.strictSpread && first ? [{ resources: first.resources, count: 1 }] : left);
      if (s !== null && (!best || better([s, t.name], best))) best = [s, t.name];
    }
    if (!best) break;
    const name = best[1];
    toAdd.set(name, (toAdd.get(name) ?? 0) + 1);
    added += 1;
    const spec = types.find((t) => t.name === name) as NodeTypeSpec;
    left = opts.strictSpread ? dropFirst(left) : binPackResidual([spec.resources], left).unfulfilled;
  }
  return { toAdd, unfulfilled: left };
}

const copies = (r: Res, n: number): Res[] => Array.from({ length: n }, () => ({ ...r }));

/**
 * Ray's _add_min_workers_nodes: the nodes each type needs to reach min(minWorkers, maxWorkers) (+1 head), then,
 * for request_resources bundles that the cluster's configured capacity cannot hold, the nodes that would.
 * Returns the input nodes, then min-worker nodes in type order, then nodes added for requests.
 */
export function addMinWorkerNodes(types: NodeTypeSpec[], nodeResources: Res[], counts: Record<string, number>, headType: string | null,
  maxWorkers: number, requested: Demand[]): { nodeResources: Res[]; counts: Record<string, number>; added: Record<string, number> } {
  const r = minWorkerNodes(types, types, nodeResources, new Map(Object.entries(counts)), headType, maxWorkers, requested);
  return { ...r, counts: Object.fromEntries(r.counts) };
}

/**
 * addMinWorkerNodes, with the types request_resources may add (capacity backoff) apart from those min_workers fills.
 * Counts stay a Map in first-appearance order: the capacities are first-fitted in that order, as Python's dict
 * keeps it, where a plain object would move integer-like type names ("2", "10") to the front.
 */
function minWorkerNodes(types: NodeTypeSpec[], requestTypes: NodeTypeSpec[], nodeResources: Res[], counts: Map<string, number>, headType: string | null,
  maxWorkers: number, requested: Demand[]): { nodeResources: Res[]; counts: Map<string, number>; added: Record<string, number> } {
  const out = nodeResources.map((r) => ({ ...r }));
  const c = new Map(counts);
  const added = new Map<string, number>();
  for (const t of types) {
    const target = Math.min(t.minWorkers, t.maxWorkers) + (t.name === headType ? 1 : 0);
    const have = c.get(t.name) ?? 0;
    if (have < target) {
      added.set(t.name, target - have);
      out.push(...copies(t.resources, target - have));
      c.set(t.name, target);
    }
  }
  if (units(requested) > 0) {
    const maxToAdd = maxWorkers + 1 - [...c.values()].reduce((a, b) => a + b, 0);
    // The configured capacity of the cluster, current usage ignored: a floor, not a queue.
    const capacities: Res[] = [];
    for (const [name, n] of c) {
      const t = types.find((x) => x.name === name);
      if (t) capacities.push(...copies(t.resources, n));
    }
    const { unfulfilled } = binPackResidual(capacities, requested);
    const { toAdd } = nodesForOrdered(requestTypes, Object.fromEntries(c), headType, maxToAdd, unfulfilled);
    for (const [name, n] of toAdd) {
      c.set(name, (c.get(name) ?? 0) + n);
      out.push(...copies((types.find((x) => x.name === name) as NodeTypeSpec).resources, n));
      added.set(name, (added.get(name) ?? 0) + n);
    }
  }
  return { nodeResources: out, counts: c, added: Object.fromEntries(added) };
}

/**
 * Ray counts min_workers against max_workers only through what the other steps already placed, so nodes still
 * launching for demand plus a raised min_workers can overshoot the global max. 'improved' never does: launches
 * for demand give way first, min_workers launches last.
 */
function withinGlobalMax(launch: Record<string, number>, input: PlanInput, terminating: Set<string>, forMin: Record<string, number>): Record<string, number> {
  const workers = input.nodes.filter((n) => n.kind === 'worker' && !terminating.has(n.id)).length;
  const launching = Object.values(input.launching).reduce((a, b) => a + b, 0);
  let over = workers + launching + Object.values(launch).reduce((a, b) => a + b, 0) - input.maxWorkers;
  if (over <= 0) return launch;
  const out = { ...launch };
  for (const minFirst of [false, true]) {
    for (const t of Object.keys(out).reverse()) {
      const keep = minFirst ? 0 : Math.min(out[t] ?? 0, forMin[t] ?? 0);
      const cut = Math.min(over, (out[t] ?? 0) - keep);
      out[t] = (out[t] ?? 0) - cut;
      over -= cut;
    }
  }
  return Object.fromEntries(Object.entries(out).filter(([, n]) => n > 0));
}

/**
 * Ray's launch-rate limit: plain task/actor demand may keep at most max(5, upscalingSpeed × running) nodes of a
 * type pending; min_workers, request_resources and placement-group nodes (adjustedMin, pgNodes) bypass it.
 */
export function limitConcurrency(toLaunch: Record<string, number>, ctx: { upscalingSpeed: number; nodes: PlanNode[];
  connectedIps: string[]; launching: Record<string, number>; adjustedMin: Record<string, number>; pgNodes: Record<string, number> }): Record<string, number> {
  const connected = new Set(ctx.connectedIps);
  const running = new Map<string, number>();
  const pending = new Map<string, number>();
  for (const n of ctx.nodes) {
    if (n.nodeType === null) continue;
    const m = connected.has(n.ip ?? n.id) ? running : pending;
    m.set(n.nodeType, (m.get(n.nodeType) ?? 0) + 1);
  }
  const out: Record<string, number> = {};
  for (const [t, n] of Object.entries(toLaunch)) {
    const maxPending = Math.max(5, Math.floor(ctx.upscalingSpeed * Math.max(running.get(t) ?? 0, 1)));
    const inFlight = (ctx.launching[t] ?? 0) + (pending.get(t) ?? 0);
    const upper = Math.max(maxPending - inFlight, (ctx.adjustedMin[t] ?? 0) + (ctx.pgNodes[t] ?? 0));
    if (upper > 0) out[t] = Math.min(upper, n);
  }
  return out;
}

const add = (into: Map<string, number>, from: Record<string, number> | Map<string, number>) => {
  for (const [k, v] of from instanceof Map ? from : Object.entries(from)) into.set(k, (into.get(k) ?? 0) + v);
};

/** A STRICT_PACK group as one bundle, summed unit by unit as Ray does (float sums depend on the order). */
function sumBundles(bundles: Demand[]): Res {
  const out: Res = {};
  for (const b of bundles) for (let i = 0; i < b.count; i++) for (const [k, v] of Object.entries(b.resources)) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** The whole decision (Ray's get_nodes_to_launch, after §3.4's terminations). */
export function plan(input: PlanInput): PlanOutput {
  const types: NodeTypeSpec[] = input.nodeTypes.map((t) => ({ ...t, resources: { ...t.resources } }));
  const byName = new Map(types.map((t) => [t.name, t]));
  const terminate = terminations(input, types);
  const gone = new Set(terminate.map((t) => t.id));
  const nodes = input.nodes.filter((n) => !gone.has(n.id));

  // 1. Types learn CPU/GPU/memory from the first connected node of theirs (a worker's figures win over the head's).
  const learned = new Set<string>();
  for (const n of nodes) {
    const t = n.nodeType === null ? undefined : byName.get(n.nodeType);
    // Ray's `if runtime_resources:`: an empty dict of static resources teaches nothing (and settles nothing).
    if (!t || learned.has(t.name) || !n.total || Object.keys(n.total).length === 0) continue;
    for (const k of ['CPU', 'GPU', 'memory', 'object_store_memory']) if (k in n.total) t.resources[k] = n.total[k] as number;
    if (n.kind === 'worker') learned.add(t.name);
  }

  // 2. What the nodes offer: connected ones what they report free ({} = nothing), others their type's capacity.
  let nodeResources: Res[] = [];
  const counts = new Map<string, number>();
  for (const n of nodes) {
    const t = n.nodeType === null ? undefined : byName.get(n.nodeType);
    if (!t) continue;
    nodeResources.push(n.available !== undefined ? { ...n.available } : { ...t.resources });
    counts.set(t.name, (counts.get(t.name) ?? 0) + 1);
  }
  for (const [name, c] of Object.entries(input.launching)) {
    const t = byName.get(name);
    if (!t || c <= 0) continue;
    nodeResources.push(...copies(t.resources, c));
    counts.set(name, (counts.get(name) ?? 0) + c);
  }

  // Types in capacity backoff are not chosen for demand now; what they would have taken goes to other types.
  // Ray's min_workers step ignores availability; 'improved' never launches a backed-off type at all.
  const launchable = types.filter((t) => !((input.backoffUntil[t.name] ?? 0) > input.now));

  // 3. min_workers and request_resources.
  const min = minWorkerNodes(input.mode === 'ray' ? types : launchable, launchable, nodeResources, counts, input.headNodeType, input.maxWorkers, input.requestedBundles);
  nodeResources = min.nodeResources;
  const count = min.counts;
  const adjustedMin = min.added;
  const counted = () => [...count.values()].reduce((a, b) => a + b, 0);

  // 4. Placement groups as demands.
  const pgVector: Demand[] = [];
  const strictSpreads: Demand[][] = [];
  for (const pg of input.placementGroups) {
    if (pg.strategy === 'STRICT_PACK') pgVector.push({ resources: sumBundles(pg.bundles), count: 1 });
    else if (pg.strategy === 'STRICT_SPREAD' || (pg.strategy === 'SPREAD' && input.mode === 'improved')) strictSpreads.push(pg.bundles);
    else pgVector.push(...pg.bundles);
  }
  const demands = [...pgVector, ...input.demands];

  // 5. STRICT_SPREAD groups: one node per bundle, on nodes that have room or new ones.
  const spreadAdd = new Map<string, number>();
  for (const group of strictSpreads) {
    const first = binPackResidual(nodeResources, group, { strictSpread: true });
    nodeResources = first.residual;
    const { toAdd } = nodesForOrdered(launchable, Object.fromEntries(count), input.headNodeType, input.maxWorkers + 1 - counted(), first.unfulfilled, { strictSpread: true });
    add(count, toAdd);
    add(spreadAdd, toAdd);
    const fresh: Res[] = [];
    for (const [name, n] of toAdd) fresh.push(...copies((byName.get(name) as NodeTypeSpec).resources, n));
    nodeResources = [...nodeResources, ...binPackResidual(fresh, first.unfulfilled, { strictSpread: true }).residual];
  }

  // 6. Nodes placement groups need are exempt from the launch-rate limit.
  const maxToAdd = input.maxWorkers + 1 - counted();
  const pgUnfulfilled = binPackResidual(nodeResources, pgVector).unfulfilled;
  const pgNodes = new Map(spreadAdd);
  add(pgNodes, nodesFor(launchable, Object.fromEntries(count), input.headNodeType, maxToAdd, pgUnfulfilled).toAdd);

  // 7. Tasks and actors (and PACK/SPREAD/STRICT_PACK bundles) on what is left, then on new nodes.
  const residual = binPackResidual(nodeResources, demands).unfulfilled;
  const byDemand = nodesFor(launchable, Object.fromEntries(count), input.headNodeType, maxToAdd, residual);

  // 8–9. Everything wanted, within the launch-rate limit.
  const total = new Map<string, number>();
  add(total, adjustedMin);
  add(total, Object.fromEntries(spreadAdd));
  add(total, byDemand.toAdd);
  const inBackoff = new Set(types.filter((t) => !launchable.includes(t)).map((t) => t.name));
  const wanted = Object.fromEntries([...total].filter(([t, n]) => n > 0 && !(input.mode === 'improved' && inBackoff.has(t))));
  const connectedIps = nodes.filter((n) => n.available !== undefined).map((n) => n.ip ?? n.id);
  const limited = limitConcurrency(wanted, {
    upscalingSpeed: input.upscalingSpeed, nodes, connectedIps, launching: input.launching, adjustedMin, pgNodes: Object.fromEntries(pgNodes),
  });
  const launch = input.mode === 'ray' ? limited : withinGlobalMax(limited, input, new Set(terminate.map((t) => t.id)), adjustedMin);

  const feasible = (r: Res) => types.some((t) => (t.name === input.headNodeType || t.maxWorkers > 0) && unitFits(t.resources, r));
  const infeasible = mergeAdjacent(input.demands.filter((d) => !feasible(d.resources)));
  return { launch, terminate, unfulfilled: byDemand.unfulfilled, infeasible };
}
