import { type Fixed, fits, subtract } from '../common/resources.js';

export interface Candidate {
  nodeId: string;
  total: Fixed;
  available: Fixed;
  /** The part of `available` that is headroom for work sent ahead to a busy node (slot-broker.ts withPrefetch). */
  ahead?: Fixed;
}

/**
 * Where a request goes: among the candidates it fits on now, the one left least loaded (by the scarcest of the
 * requested resources), so independent work spreads over the cluster; ties keep the candidates' order. Only when
 * it fits on none does it go ahead to a busy node's headroom: otherwise a node whose free room a placement group
 * keeps from prefetch would look fuller than a busy one, and the work would wait there while that room sat idle.
 * Pure.
 */
export function pickBest<C extends Candidate>(candidates: readonly C[], need: Fixed): C | undefined {
  return leastLoaded(candidates, need, (n) => (n.ahead ? subtract(n.available, n.ahead) : n.available))
    ?? leastLoaded(candidates, need, (n) => n.available);
}

function leastLoaded<C extends Candidate>(candidates: readonly C[], need: Fixed, free: (c: C) => Fixed): C | undefined {
  let best: C | undefined;
  let bestLoad = Infinity;
  for (const n of candidates) {
    const available = free(n);
    if (!fits(available, need)) continue;
    let load = 0;
    for (const k in need) {
      const total = n.total[k] ?? 0;
      if (total > 0) load = Math.max(load, 1 - ((available[k] ?? 0) - (need[k] ?? 0)) / total);
    }
    if (load < bestLoad) {
      best = n;
      bestLoad = load;
    }
  }
  return best;
}

/** The node pickBest chooses, by id. */
export function pickNode(nodes: readonly Candidate[], need: Fixed): string | undefined {
  return pickBest(nodes, need)?.nodeId;
}

/** Whether a request could ever run on a node of one of these shapes (else it is infeasible). */
export function feasibleOn(shapes: readonly Fixed[], need: Fixed): boolean {
  return shapes.some((s) => fits(s, need));
}
