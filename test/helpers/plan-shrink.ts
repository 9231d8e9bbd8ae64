/**
 * Greedy shrinking of a failing JSON input (delta debugging by single edits): remove array elements, delete
 * optional object keys, lower counts and worker limits, while the predicate still fails. Used by the plan()
 * parity test to print a minimal failing input.
 */
import { isDeepStrictEqual } from 'node:util';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

// Keys the functions under test need (PlanInput and limitConcurrency ctx fields included): never deleted (their
// values are still shrunk).
const REQUIRED = new Set(['id', 'nodeType', 'kind', 'name', 'resources', 'minWorkers', 'maxWorkers', 'count', 'strategy', 'bundles',
  'nodeTypes', 'headNodeType', 'upscalingSpeed', 'nodes', 'launching', 'demands', 'placementGroups', 'requestedBundles', 'backoffUntil',
  'idleTimeoutMs', 'currentLaunchHash', 'now', 'mode', 'connectedIps', 'adjustedMin', 'pgNodes']);

/** Every single-edit variant of `root`; the root's own elements/keys (argument lists, PlanInput fields) stay. */
function* edits(root: Json): Generator<Json> {
  const paths: (string | number)[][] = [];
  const walk = (v: Json, path: (string | number)[]) => {
    paths.push(path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, [...path, i]));
    else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
  };
  walk(root, []);
  const at = (r: Json, path: (string | number)[]): Json => path.reduce<Json>((v, k) => (v as Record<string | number, Json>)[k] as Json, r);
  for (const path of paths) {
    if (path.length < 2) continue;
    const parentPath = path.slice(0, -1);
    const key = path[path.length - 1] as string | number;
    const parent = at(root, parentPath);
    const value = at(root, path);
    if (Array.isArray(parent)) {
      const y = structuredClone(root);
      (at(y, parentPath) as Json[]).splice(key as number, 1);
      yield y;
    } else if (typeof key === 'string' && !REQUIRED.has(key)) {
      const y = structuredClone(root);
      delete (at(y, parentPath) as Record<string, Json>)[key];
      yield y;
    }
    if (typeof value === 'number' && typeof key === 'string' && ['count', 'minWorkers', 'maxWorkers'].includes(key) && value > (key === 'count' ? 1 : 0)) {
      for (const smaller of [key === 'count' ? 1 : 0, value - 1]) {
        const y = structuredClone(root);
        (at(y, parentPath) as Record<string, Json>)[key] = smaller;
        yield y;
      }
    }
  }
}

/** Shrinks `input` while `fails(input)` holds, up to `budget` predicate calls. */
export function shrink<T>(input: T, fails: (x: T) => boolean, budget = 4000): T {
  let cur = structuredClone(input) as Json;
  let calls = 0;
  for (let progress = true; progress && calls < budget;) {
    progress = false;
    for (const y of edits(cur)) {
      if (++calls > budget) break;
      if (fails(y as T)) {
        cur = y;
        progress = true;
        break;
      }
    }
  }
  return cur as T;
}

/** Runs `f`, turning a throw into `{ threw: message }` so both sides compare as values. */
export function outcome<R>(f: () => R): R | { threw: string } {
  try {
    return f();
  } catch (e) {
    return { threw: e instanceof Error ? e.message : String(e) };
  }
}

/** Whether two outcomes differ (strict deep equality; object key order ignored, array order kept). */
export const differ = (a: unknown, b: unknown): boolean => !isDeepStrictEqual(a, b);

const isDemandList = (x: unknown): x is { resources: Record<string, number>; count: number }[] =>
  Array.isArray(x) && x.length > 0 && x.every((e) => e !== null && typeof e === 'object' && 'resources' in e && 'count' in e && Object.keys(e).length === 2);

/** `x` with every Demand[] inside merged into runs (consecutive equal shapes summed): the representation-free form. */
export function mergedForm(x: unknown): unknown {
  if (isDemandList(x)) {
    const out: { resources: Record<string, number>; count: number }[] = [];
    for (const d of x) {
      const last = out[out.length - 1];
      if (last && isDeepStrictEqual(last.resources, d.resources)) last.count += d.count;
      else if (d.count !== 0) out.push({ resources: d.resources, count: d.count });
    }
    return out;
  }
  if (Array.isArray(x)) return x.map(mergedForm);
  if (x !== null && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, mergedForm(v)]));
  return x;
}
