import type { Fixed } from '../common/resources.js';
import type { NodeTable } from './nodes.js';
import type { NodeTypes } from './node-types.js';
import type { BundleSlot, Slot, SlotCandidate, Slots } from './slots.js';

/** Placement-group bundles as slots (PlacementGroups). */
export interface BundleSlots {
  candidates(pgId: string, bundleIndex: number): SlotCandidate[];
  acquire(slot: BundleSlot, need: Fixed): void;
  release(slot: BundleSlot, need: Fixed): void;
  nodeOf(slot: BundleSlot): string | undefined;
  /** Whether some live group holds a bundle on this node. */
  reservesOn(nodeId: string): boolean;
}

export interface SlotBrokerDeps {
  nodes: NodeTable;
  bundles: BundleSlots;
  nodeTypes: Pick<NodeTypes, 'canGrowFor'>;
}

/**
 * A node as a place for work that may be sent ahead: up to one node's worth beyond its free resources. Its agent
 * starts such work as its own resources free up, so the next task is already there when one ends (the head's
 * round trip no longer sits between two tasks; Ray's worker leases do the same). Not when the cluster can grow
 * for the request (the work must then wait where the autoscaler sees it, and new nodes can take it), and not on
 * nodes holding placement-group reservations, which must stay free for the group's work. Pure.
 */
export function withPrefetch(c: SlotCandidate, allowed: boolean): SlotCandidate {
  if (!allowed) return c;
  const available: Record<string, number> = { ...c.available };
  for (const [k, v] of Object.entries(c.total)) available[k] = (available[k] ?? 0) + v;
  return { ...c, available, ahead: c.total };
}

/**
 * The one arbiter of slots: a node slot takes from the node table, a bundle slot from its placement group.
 * Candidates for work outside a group are the live nodes, with the prefetch headroom where it applies.
 */
export class SlotBroker implements Slots {
  constructor(private readonly d: SlotBrokerDeps) {}

  candidates(placement: { pgId: string; bundleIndex: number } | undefined, need?: Fixed): SlotCandidate[] {
    if (placement) return this.d.bundles.candidates(placement.pgId, placement.bundleIndex);
    const alive = this.d.nodes.placeable();
    const canGrow = need !== undefined && this.d.nodeTypes.canGrowFor(need, alive.filter((n) => n.kind === 'worker'));
    return alive.map((n) => withPrefetch(
      { slot: { kind: 'node', nodeId: n.nodeId }, nodeId: n.nodeId, total: n.total, available: n.available },
      !canGrow && !this.d.bundles.reservesOn(n.nodeId),
    ));
  }

  acquire(slot: Slot, need: Fixed): void {
    if (slot.kind === 'bundle') this.d.bundles.acquire(slot, need);
    else this.d.nodes.acquire(slot.nodeId, need);
  }

  release(slot: Slot, need: Fixed): void {
    if (slot.kind === 'bundle') this.d.bundles.release(slot, need);
    else this.d.nodes.release(slot.nodeId, need);
  }

  nodeOf(slot: Slot): string | undefined {
    if (slot.kind === 'bundle') return this.d.bundles.nodeOf(slot);
    const n = this.d.nodes.get(slot.nodeId);
    return n?.state === 'ALIVE' && n.reconnectBy === undefined ? slot.nodeId : undefined;
  }
}
