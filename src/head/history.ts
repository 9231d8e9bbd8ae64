/**
 * The head's last hour of the cluster, pure: which sample is due, what a sample holds, the bounded ring that keeps
 * them and the columnar JSON a chart draws. The sampler (history-sampler.ts) owns the clock and the timer.
 *
 * The JSON (GET /api/cluster/history, and each event of the live stream, which carries only the new rows):
 *
 *   {
 *     interval_s: 5,                          // one sample per interval, at multiples of it
 *     t: [1765155600, 1765155605, …],         // unix seconds, oldest first (uPlot's x axis as is)
 *     series: {                               // one column per name, as long as t; null: no value then
 *       "used:CPU": [1, 2, …], "total:CPU": [4, 4, …],          // per resource (CPU, GPU, memory, custom)
 *       "nodes:worker": [2, 2, …],                              // live nodes (not dead) by node type
 *       "demands:pending": [0, 3, …], "demands:infeasible": [0, 0, …],   // requests waiting: feasible, or not
 *     },
 *     units: { "used:CPU": "count", "used:memory": "bytes", "nodes:worker": "nodes", "demands:pending": "requests", … },
 *   }
 *
 * Where the head missed a slot (a stall, or a head restart seen by a page that kept its rows), a row of nulls one
 * interval after the last sample breaks the line rather than drawing one across the hole. The ring is memory only:
 * a restarted head starts with an empty hour.
 */
import type { DemandView, NodeView } from '../protocol/messages.js';

export const HISTORY_INTERVAL_MS = 5_000;
/** One hour of samples. */
export const HISTORY_SAMPLES = 720;
/** At most this many series are kept (a cluster with many custom resources or node types): later names are not. */
export const MAX_SERIES = 100;

/** What a sample is read from: the head's read model (`status`), nothing computed here of its own. */
export interface ClusterReading {
  nodes: readonly Pick<NodeView, 'nodeType' | 'state' | 'total' | 'available'>[];
  demands: readonly Pick<DemandView, 'count' | 'infeasible'>[];
}

export interface Sample {
  /** Start of the sample's slot, ms. */
  t: number;
  values: ReadonlyMap<string, number>;
}

export type Unit = 'count' | 'bytes' | 'nodes' | 'requests';

export interface HistoryJson {
  interval_s: number;
  t: number[];
  series: Record<string, (number | null)[]>;
  units: Record<string, Unit>;
}

/** The slot a sample taken at `now` belongs to, when it is a new one (none taken in it yet); undefined otherwise. */
export function dueSlot(lastSlot: number | undefined, now: number, intervalMs = HISTORY_INTERVAL_MS): number | undefined {
  const slot = Math.floor(now / intervalMs) * intervalMs;
  return lastSlot === undefined || slot > lastSlot ? slot : undefined;
}

/** How long from `now` until the next slot starts. */
export function untilNextSlot(now: number, intervalMs = HISTORY_INTERVAL_MS): number {
  return intervalMs - (now % intervalMs);
}

const BYTES = new Set(['memory', 'object_store_memory']);

export function unitOf(name: string): Unit {
  const [kind, rest = ''] = splitName(name);
  if (kind === 'nodes') return 'nodes';
  if (kind === 'demands') return 'requests';
  return BYTES.has(rest) ? 'bytes' : 'count';
}

/** `used:accelerator_type:A100` → ['used', 'accelerator_type:A100']: resource names may hold a colon themselves. */
function splitName(name: string): [string, string] {
  const i = name.indexOf(':');
  return [name.slice(0, i), name.slice(i + 1)];
}

/**
 * One sample of a reading: resources used and total and node counts over the nodes not dead; resource requests
 * waiting, apart: those some node type could serve (pending) and those none can (infeasible).
 */
export function sampleOf(r: ClusterReading, t: number): Sample {
  const values = new Map<string, number>();
  let pending = 0;
  let infeasible = 0;
  for (const d of r.demands) {
    if (d.infeasible) infeasible += d.count;
    else pending += d.count;
  }
  values.set('demands:pending', pending);
  values.set('demands:infeasible', infeasible);
  const add = (k: string, v: number) => {
    if (values.size < MAX_SERIES || values.has(k)) values.set(k, (values.get(k) ?? 0) + v);
  };
  for (const n of r.nodes) {
    if (n.state === 'DEAD') continue;
    add(`nodes:${n.nodeType}`, 1);
    for (const [res, total] of Object.entries(n.total)) {
      add(`total:${res}`, total);
      add(`used:${res}`, Math.min(total, Math.max(0, total - (n.available[res] ?? 0))));
    }
  }
  return { t, values };
}

/** A fixed number of the latest items; the oldest goes when a new one comes past capacity. */
export class Ring<T> {
  private readonly items: (T | undefined)[];
  private next = 0;
  private count = 0;

  constructor(readonly capacity: number) {
    this.items = new Array<T | undefined>(capacity);
  }

  push(item: T): void {
    this.items[this.next] = item;
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  get size(): number {
    return this.count;
  }

  /** The last item pushed. */
  last(): T | undefined {
    return this.count === 0 ? undefined : this.items[(this.next - 1 + this.capacity) % this.capacity];
  }

  /** Oldest first. */
  toArray(): T[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    const out: T[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.items[(start + i) % this.capacity] as T);
    return out;
  }
}

/**
 * Samples as columns: `before`, the sample that came just ahead of them (for the live stream's rows, so a gap
 * between the last row a page has and the new one is marked too). Linear in samples × series.
 */
export function columns(samples: readonly Sample[], before?: Sample, intervalMs = HISTORY_INTERVAL_MS): HistoryJson {
  const names: string[] = [];
  const seen = new Set<string>();
  for (const s of samples) {
    for (const k of s.values.keys()) {
      if (seen.has(k) || seen.size >= MAX_SERIES) continue;
      seen.add(k);
      names.push(k);
    }
  }
  const rows: (Sample | undefined)[] = [];
  const t: number[] = [];
  let prev = before;
  for (const s of samples) {
    // A missed slot: one null row an interval after the last sample ends the line there.
    if (prev && s.t - prev.t > intervalMs) {
      rows.push(undefined);
      t.push((prev.t + intervalMs) / 1000);
    }
    rows.push(s);
    t.push(s.t / 1000);
    prev = s;
  }
  const series: Record<string, (number | null)[]> = {};
  const units: Record<string, Unit> = {};
  for (const k of names) {
    series[k] = rows.map((r) => r?.values.get(k) ?? null);
    units[k] = unitOf(k);
  }
  return { interval_s: intervalMs / 1000, t, series, units };
}
