import { type Fixed, fits } from '../common/resources.js';

export interface Candidate {
  nodeId: string;
  total: Fixed;
  available: Fixed;
}

/**
 * Where a request goes: among the candidates it fits on now, the one left least loaded (by the scarcest of the
 * requested resources), so independent work spreads over the cluster; ties keep the candidates' order. Pure.
 */
export function pickBest<C extends Candidate>(candidates: readonly C[], need: Fixed): C | undefined {
  let best: C | undefined;
  let bestLoad = Infinity;
  for (const n of candidates) {
    if (!fits(n.available, need)) continue;
    let load = 0;
    for (const k in need) {
      const total = n.total[k] ?? 0;
      if (total > 0) load = Math.max(load, 1 - ((n.available[k] ?? 0) - (need[k] ?? 0)) / total);
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
