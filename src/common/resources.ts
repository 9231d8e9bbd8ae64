/**
 * Resource bundles as the scheduler counts them. Amounts are kept in fixed point (1/10000 of a unit, as Ray
 * does) so that fractional requests (0.1 CPU ten times) add up exactly. Pure.
 */
export type ResourceDict = Readonly<Record<string, number>>;

const SCALE = 10_000;

/** Fixed-point amounts, integer per resource; zero entries are dropped. */
export type Fixed = Readonly<Record<string, number>>;

export function toFixed(r: ResourceDict): Fixed {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) {
    const n = Math.round(v * SCALE);
    if (n !== 0) out[k] = n;
  }
  return out;
}

export function fromFixed(r: Fixed): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) out[k] = v / SCALE;
  return out;
}

/** Whether `need` fits in `avail`. */
export function fits(avail: Fixed, need: Fixed): boolean {
  for (const k in need) {
    if ((avail[k] ?? 0) < (need[k] ?? 0)) return false;
  }
  return true;
}

export function subtract(a: Fixed, b: Fixed): Fixed {
  const out: Record<string, number> = { ...a };
  for (const k in b) out[k] = (out[k] ?? 0) - (b[k] ?? 0);
  return out;
}

export function add(a: Fixed, b: Fixed): Fixed {
  const out: Record<string, number> = { ...a };
  for (const k in b) out[k] = (out[k] ?? 0) + (b[k] ?? 0);
  return out;
}

/** A stable key for a request's shape: tasks of one shape fit or fail together. */
export function shapeKey(r: Fixed): string {
  return Object.keys(r).sort().map((k) => `${k}=${r[k]}`).join(',');
}

/** What a task or actor asks for, from the API's options (1 CPU for tasks unless told otherwise). */
export function requestOf(o: { numCpus?: number; numGpus?: number; memory?: number; resources?: ResourceDict }, defaultCpus: number): ResourceDict {
  const r: Record<string, number> = { ...(o.resources ?? {}) };
  r.CPU = o.numCpus ?? defaultCpus;
  if (o.numGpus !== undefined) r.GPU = o.numGpus;
  if (o.memory !== undefined) r.memory = o.memory;
  return r;
}

/** "{CPU: 2, GPU: 1}" for messages. */
export function formatResources(r: ResourceDict): string {
  const parts = Object.entries(r).filter(([, v]) => v !== 0).map(([k, v]) => `${k}: ${v}`);
  return `{${parts.join(', ')}}`;
}
