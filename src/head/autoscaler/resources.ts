/**
 * Ray's resource-demand primitives (reference §4.1) on run-length demand lists, pure. Identical units are handled
 * as groups, unit by unit in effect, so results equal Ray's one-dict-per-unit loops (order dependence included).
 */
export type Res = Record<string, number>;
/** One shape of request and how many units of it; order is significant. */
export type Demand = { resources: Res; count: number };

const IMPLICIT = 'node:__internal_implicit_resource_';

/** Capacity of a resource on a node: a missing implicit resource counts as 1 unit, anything else as 0. */
const cap = (node: Res, k: string) => node[k] ?? (k.startsWith(IMPLICIT) ? 1 : 0);

/**
 * Whether one unit of `d` fits `node`, Ray's way (a missing implicit resource counts as 1). Not common/resources'
 * `fits`, which compares fixed-point amounts without implicit resources.
 */
export function unitFits(node: Res, d: Res): boolean {
  for (const k in d) if ((d[k] ?? 0) > cap(node, k)) return false;
  return true;
}

/**
 * Takes one unit of `d` out of `node`, in place (common/resources' `subtract` returns a copy); zero amounts leave
 * the node untouched (a missing implicit resource appears at 1, then drops).
 */
export function consume(node: Res, d: Res): void {
  for (const k in d) {
    const v = d[k] ?? 0;
    if (v === 0) continue;
    if (!(k in node)) node[k] = 1;
    node[k] = (node[k] ?? 0) - v;
  }
}

const hasPositive = (d: Res) => Object.values(d).some((v) => v > 0);

/** A stable identity for a shape (zero-valued keys count: {CPU:1, GPU:0} is not {CPU:1}). */
export function shapeId(d: Res): string {
  return JSON.stringify(Object.entries(d).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Ray's demand_sort_key: (number of keys, sum of values, items sorted by key), compared as Python tuples. */
function compareKey(a: Res, b: Res): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return ka.length - kb.length;
  const sa = Object.values(a).reduce((s, v) => s + v, 0);
  const sb = Object.values(b).reduce((s, v) => s + v, 0);
  if (sa !== sb) return sa < sb ? -1 : 1;
  const ia = Object.entries(a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  const ib = Object.entries(b).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0));
  for (let i = 0; i < ia.length; i++) {
    const [xk, xv] = ia[i] as [string, number];
    const [yk, yv] = ib[i] as [string, number];
    if (xk !== yk) return xk < yk ? -1 : 1;
    if (xv !== yv) return xv < yv ? -1 : 1;
  }
  return 0;
}

/** Groups of one shape next to each other become one group (order otherwise kept). */
export function mergeAdjacent(demands: readonly Demand[]): Demand[] {
  const out: Demand[] = [];
  let lastId = '';
  for (const d of demands) {
    if (d.count <= 0) continue;
    const id = shapeId(d.resources);
    const last = out[out.length - 1];
    if (last && id === lastId) last.count += d.count;
    else {
      out.push({ resources: d.resources, count: d.count });
      lastId = id;
    }
  }
  return out;
}

/** Ray's sorted(demands, key=demand_sort_key, reverse=True): descending and stable; equal shapes end up adjacent. */
export function sortDemands(demands: readonly Demand[]): Demand[] {
  return mergeAdjacent([...demands].filter((d) => d.count > 0).sort((a, b) => compareKey(b.resources, a.resources)));
}

/** Total units in a run-length list. */
export const units = (demands: readonly Demand[]) => demands.reduce((n, d) => n + d.count, 0);

/**
 * Ray's get_bin_pack_residual: demands in sorted order, each unit first-fit onto the nodes in list order. With
 * strictSpread every unit needs its own node, and the residual lists untouched nodes first, then used ones.
 */
export function binPackResidual(nodes: readonly Res[], demands: readonly Demand[], opts: { strictSpread?: boolean } = {}): { unfulfilled: Demand[]; residual: Res[] } {
  const free = nodes.map((n) => ({ ...n }));
  const used: Res[] = [];
  const unfulfilled: Demand[] = [];
  for (const d of sortDemands(demands)) {
    let left = d.count;
    if (opts.strictSpread) {
      while (left > 0) {
        const i = free.findIndex((n) => unitFits(n, d.resources));
        if (i < 0) break;
        const [n] = free.splice(i, 1) as [Res];
        used.push(n);
        consume(n, d.resources);
        left -= 1;
      }
    } else if (!hasPositive(d.resources)) {
      // Nothing to take away: every unit fits wherever the first one does.
      if (free.some((n) => unitFits(n, d.resources))) left = 0;
    } else {
      for (const n of free) {
        while (left > 0 && unitFits(n, d.resources)) {
          consume(n, d.resources);
          left -= 1;
        }
        if (left === 0) break;
      }
    }
    if (left > 0) unfulfilled.push({ resources: d.resources, count: left });
  }
  return { unfulfilled: mergeAdjacent(unfulfilled), residual: [...free, ...used] };
}

/** Drops the first unit of a run-length list. */
export function dropFirst(demands: readonly Demand[]): Demand[] {
  const [first, ...rest] = demands;
  if (!first) return [];
  return first.count > 1 ? [{ resources: first.resources, count: first.count - 1 }, ...rest] : rest;
}
