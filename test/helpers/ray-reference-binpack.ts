/**
 * The ORACLE's primitives: a literal, slow transcription of Ray's resource demand scheduler primitives as described
 * in Ray's autoscaler/_private/resource_demand_scheduler.py (fits, subtract, demand_sort_key, get_bin_pack_residual,
 * the default utilization scorer, get_nodes_for). Written from a description only, for tests; correctness over
 * speed. Demands are one dict per unit; a Python dict is a `Map` here so that insertion order is kept exactly
 * where Python's dict order is observable (float sums, the scorer's walk over a node's resources, keys that
 * `subtract` appends).
 */

/** A Python resource dict: insertion-ordered like a Python 3.7+ dict (a JS object would hoist integer-like keys). */
export type RD = Map<string, number>;

/** A Python `(gpu_ok, matching, min(util), mean(util))` score tuple. */
export type Score = [boolean, number, number, number];

/** A node type as the scheduler's deep copy of available_node_types holds it. */
export type TypeCfg = { resources: RD; minWorkers: number; maxWorkers: number };

/** `available_node_types` as a Python dict: a Map keeps YAML (insertion) order, which decides ties and appends. */
export type TypeTable = Map<string, TypeCfg>;

/** ray._raylet.IMPLICIT_RESOURCE_PREFIX: a missing implicit resource counts as capacity 1. */
export const IMPLICIT = 'node:__internal_implicit_resource_';

/** AUTOSCALER_CONSERVE_GPU_NODES = 1. */
const CONSERVE_GPU = true;

/** A JS object (in its own enumeration order, which is all either implementation can see) → a Python dict. */
export const toRD = (r: Record<string, number>): RD => new Map(Object.entries(r));

/** A Python dict → a plain object (key order is not compared by the tests). */
export const fromRD = (m: RD): Record<string, number> => Object.fromEntries(m);

/** Python `==` on dicts: same key set and equal values, order-insensitive. */
export function dictEq(a: RD, b: RD): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!b.has(k) || b.get(k) !== v) return false;
  return true;
}

/** Python `str < str`: by code point (JS `<` compares UTF-16 units; equal for the BMP, kept exact anyway). */
export function pyStrCmp(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0) ?? 0);
  const y = [...b].map((c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return (x[i] ?? 0) < (y[i] ?? 0) ? -1 : 1;
  return x.length - y.length;
}

/** Run-length demands → one fresh dict per unit, in order (how Ray's demand vector looks). */
export function expand(demands: { resources: Record<string, number>; count: number }[]): RD[] {
  const out: RD[] = [];
  for (const d of demands) for (let i = 0; i < d.count; i++) out.push(toRD(d.resources));
  return out;
}

/** Per-unit dicts → run-length demands, consecutive equal dicts (Python `==`) merged into one run. */
export function mergeRuns(ds: RD[]): { resources: Record<string, number>; count: number }[] {
  const out: { resources: Record<string, number>; count: number }[] = [];
  let prev: RD | undefined;
  for (const d of ds) {
    const last = out[out.length - 1];
    if (last && prev && dictEq(prev, d)) last.count += 1;
    else out.push({ resources: fromRD(d), count: 1 });
    prev = d;
  }
  return out;
}

/** `fits(node, demand)`: every key of the demand within capacity; a missing implicit resource has capacity 1. */
export function fits(node: RD, demand: RD): boolean {
  for (const [k, v] of demand) {
    const cap = node.get(k) ?? (k.startsWith(IMPLICIT) ? 1 : 0);
    if (v > cap) return false;
  }
  return true;
}

/** `subtract(node, demand)` in place; zero amounts skipped; a missing key (implicit only) is APPENDED as 1 first. */
export function subtract(node: RD, demand: RD): void {
  for (const [k, v] of demand) {
    if (v === 0) continue;
    if (!node.has(k)) node.set(k, 1); // Python dict: a new key goes to the end of the insertion order.
    node.set(k, (node.get(k) ?? 0) - v); // an exhausted implicit resource stays as 0.
  }
}

type SortKey = [number, number, [string, number][]];
const keyCache = new WeakMap<RD, SortKey>(); // demand dicts are never mutated, so Python's per-sort key == cached key.

/** Ray's demand_sort_key: (number of keys, sum(values) in dict order, sorted(items())). */
function sortKey(d: RD): SortKey {
  let k = keyCache.get(d);
  if (!k) {
    let sum = 0; // Python sum(): starts at int 0 and adds left to right in dict order (plain, 3.11 float semantics).
    for (const v of d.values()) sum += v;
    const items = [...d.entries()].sort((a, b) => pyStrCmp(a[0], b[0])); // keys are unique: values never compared.
    k = [d.size, sum, items];
    keyCache.set(d, k);
  }
  return k;
}

/** Python tuple/list comparison of two demand sort keys (lexicographic; shorter prefix is smaller). */
function cmpKey(a: SortKey, b: SortKey): number {
  if (a[0] !== b[0]) return a[0] < b[0] ? -1 : 1;
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  const x = a[2], y = b[2];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const p = x[i], q = y[i];
    if (!p || !q) break;
    const c = pyStrCmp(p[0], q[0]);
    if (c !== 0) return c;
    if (p[1] !== q[1]) return p[1] < q[1] ? -1 : 1;
  }
  return x.length - y.length;
}

/**
 * `sorted(demands, key=demand_sort_key, reverse=True)`. Python's sort is stable and reverse=True keeps equal
 * elements in input order; Array.prototype.sort is stable too, so comparing b to a gives exactly that.
 */
export function sortDemandsDesc(demands: RD[]): RD[] {
  return [...demands].sort((a, b) => cmpKey(sortKey(b), sortKey(a)));
}

/**
 * `get_bin_pack_residual(node_resources, demands, strict_spread)`: deep-copies the nodes, first-fits each demand
 * in sort order; unfulfilled demands come back in sort order; residual = untouched nodes, then (strict spread)
 * the used ones in order of use.
 */
export function binPack(nodeResources: RD[], demands: RD[], strictSpread = false): { unfulfilled: RD[]; residual: RD[] } {
  const nodes = nodeResources.map((n) => new Map(n));
  const used: RD[] = [];
  const unfulfilled: RD[] = [];
  for (const d of sortDemandsDesc(demands)) {
    let placed = false;
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      if (n && fits(n, d)) {
        if (strictSpread) {
          used.push(n);
          nodes.splice(i, 1);
        }
        subtract(n, d);
        placed = true;
        break;
      }
    }
    if (!placed) unfulfilled.push(d); // Python's for/else
  }
  return { unfulfilled, residual: [...nodes, ...used] };
}

/** Ray's default `_resource_based_utilization_scorer` (demands in the order given, NOT sorted). */
export function score(nodeResources: RD, demands: RD[]): Score | null {
  const remaining = new Map(nodeResources);
  let fittable = 0;
  const types = new Set<string>();
  for (const r of demands) {
    for (const [k, v] of r) if (v > 0) types.add(k); // types over ALL demands, fitting or not
    if (fits(remaining, r)) {
      fittable += 1;
      subtract(remaining, r);
    }
  }
  if (fittable === 0) return null;
  const util: number[] = [];
  let matching = 0;
  for (const [k, v] of nodeResources) { // Python dict order: util's order decides the float sum in mean()
    if (v < 1) continue;
    if (types.has(k)) matching += 1;
    const u = (v - (remaining.get(k) ?? 0)) / v;
    util.push(v * u ** 3); // Python `u**3` is pow(); JS `**` is Math.pow
  }
  if (util.length === 0) return null;
  // "GPU" in r: key presence, even a zero amount, in any demand (fitting or not).
  const gpuOk = !(CONSERVE_GPU && (nodeResources.get('GPU') ?? 0) > 0 && !demands.some((r) => r.has('GPU')));
  let sum = 0; // mean = sum left to right / len
  for (const u of util) sum += u;
  return [gpuOk, matching, Math.min(...util), sum / util.length];
}

/** Python comparison of two `(score, type_name)` tuples: False < True, then numbers, then names by code point. */
export function cmpCandidate(a: [Score, string], b: [Score, string]): number {
  const [s, t] = a, [u, w] = b;
  if (s[0] !== u[0]) return s[0] ? 1 : -1;
  for (let i = 1; i < 4; i++) if (s[i] !== u[i]) return (s[i] as number) < (u[i] as number) ? -1 : 1;
  return pyStrCmp(t, w);
}

/**
 * `get_nodes_for(node_types, existing_counts, head_type, max_to_add, demands, strict_spread)`. Returns `to_add`
 * as a Map in the order types were first picked (Python dict insertion order, which the callers iterate to append
 * capacities) and the still-unfulfilled demands (input order when no node was added, else bin-pack sort order).
 * `exclude`: types taken out of the candidates (plan()'s backoff, Ray's node-availability scorer input).
 */
export function getNodesFor(types: TypeTable, existing: (t: string) => number, headType: string | null, maxToAdd: number,
  demands: RD[], strictSpread = false, exclude?: ReadonlySet<string>): { toAdd: Map<string, number>; unfulfilled: RD[] } {
  const toAdd = new Map<string, number>();
  let added = 0;
  let rest = demands;
  while (rest.length > 0 && added < maxToAdd) {
    let best: [Score, string] | null = null;
    for (const [t, cfg] of types) { // config (YAML) order
      if (exclude?.has(t)) continue;
      const cap = cfg.maxWorkers + (t === headType ? 1 : 0); // the head itself is in existing_counts
      if (existing(t) + (toAdd.get(t) ?? 0) >= cap) continue;
      const first = rest[0];
      const s = score(cfg.resources, strictSpread && first ? [first] : rest);
      // max(candidates) over (score, name) tuples: on equal scores the LARGER name wins.
      if (s !== null && (best === null || cmpCandidate([s, t], best) > 0)) best = [s, t];
    }
    if (best === null) break;
    const t = best[1];
    toAdd.set(t, (toAdd.get(t) ?? 0) + 1); // defaultdict(int): first increment fixes the key's position
    added += 1;
    if (strictSpread) rest = rest.slice(1);
    else rest = binPack([types.get(t)?.resources ?? new Map<string, number>()], rest).unfulfilled;
  }
  return { toAdd, unfulfilled: rest };
}

/** `node_types` (YAML list) → the scheduler's deep copy as an insertion-ordered dict (a repeated name keeps its first place, last value). */
export function typeTable(specs: { name: string; resources: Record<string, number>; minWorkers: number; maxWorkers: number }[]): TypeTable {
  const m: TypeTable = new Map();
  for (const s of specs) m.set(s.name, { resources: toRD(s.resources), minWorkers: s.minWorkers, maxWorkers: s.maxWorkers });
  return m;
}

/** Python `d.get(k, 0)` on a JS record, immune to inherited keys such as "constructor". */
export const getOr0 = (r: Record<string, number>, k: string): number => (Object.hasOwn(r, k) ? (r[k] ?? 0) : 0);
