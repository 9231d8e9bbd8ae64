/**
 * Demand batching, pure: a demand counts only once it has been pending demand_batch_ms, so a burst that the
 * cluster absorbs by itself never launches anything. The state is when each demand shape was first seen, and
 * which shapes a nudge saw that no tick has acted on yet.
 */
import { type Demand, shapeId } from './resources.js';

export interface BatchState {
  /** shape → when it was first seen pending (while it stays pending) */
  readonly since: ReadonlyMap<string, number>;
  /** Shapes a nudge saw that no tick has looked at yet: with a 0 ms window they are due at once. */
  readonly unseen: ReadonlySet<string>;
}

export const NO_BATCH: BatchState = { since: new Map(), unseen: new Set() };

/**
 * The demands pending for at least batchMs, and the state after this look. A tick (byNudge false) has looked
 * at everything; a nudge only starts the clock for shapes it sees first.
 */
export function batchDemands(state: BatchState, demands: readonly Demand[], now: number, batchMs: number, byNudge: boolean): { state: BatchState; due: Demand[] } {
  const since = new Map<string, number>();
  const unseen = new Set(byNudge ? state.unseen : []);
  const due: Demand[] = [];
  for (const d of demands) {
    const id = shapeId(d.resources);
    const first = since.get(id) ?? state.since.get(id) ?? now;
    if (byNudge && !state.since.has(id)) unseen.add(id);
    since.set(id, first);
    if (now - first >= batchMs) due.push(d);
  }
  for (const id of [...unseen]) if (!since.has(id)) unseen.delete(id);
  return { state: { since, unseen }, due };
}

/** How long until the earliest demand still inside its window (or unseen by a tick) is due; undefined: none. */
export function nextBatchDue(state: BatchState, now: number, batchMs: number): number | undefined {
  const waits: number[] = [];
  for (const [id, first] of state.since) {
    const left = first + batchMs - now;
    if (left > 0 || state.unseen.has(id)) waits.push(Math.max(0, left)); // the rest a tick has already acted on
  }
  return waits.length > 0 ? Math.min(...waits) : undefined;
}
