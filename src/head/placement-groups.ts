import { type Fixed, fits, fromFixed, subtract, add } from '../common/resources.js';
import type { DemandView, PlacementGroupSpec, PlacementGroupView } from '../protocol/messages.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';
import type { NodeTable } from './nodes.js';
import { planPlacement, placementFeasible } from './placement.js';
import type { BundleSlots } from './slot-broker.js';
import type { BundleSlot, SlotCandidate } from './slots.js';

interface Bundle { index: number; resources: Fixed; nodeId: string | undefined; available: Fixed }

/**
 * What the GCS keeps of a group, written behind at each change (created, reserved, rescheduled; deleted once
 * removed): its spec, its state, and the node each bundle is reserved on. A group created just before the head
 * died may be lost with it.
 */
interface DurableGroup { spec: PlacementGroupSpec; state: PlacementGroupView['state']; nodes: (string | null)[] }

interface Group {
  spec: PlacementGroupSpec;
  state: PlacementGroupView['state'];
  bundles: Bundle[];
}

export interface PlacementHost {
  nodes: NodeTable;
  /** Tell the group's owner how it went (ready() waits for this). */
  notify(client: string, pgId: string, state: PlacementGroupView['state'], message?: string): void;
  /** Shapes every node type could offer, and how many nodes the cluster may have, for infeasibility. */
  limits(): { shapes: Fixed[]; maxNodes: number };
  resourcesFreed(): void;
  /** The group was removed (by `byJob`): the actors and tasks placed in it are killed (Ray's semantics). */
  removed(pgId: string, why: string, byJob: string | undefined): void;
}

/**
 * Placement groups: bundles reserved atomically on nodes with PACK, SPREAD, STRICT_PACK or STRICT_SPREAD; the
 * reserved resources leave the nodes' free pool and become slots that only work placed in the group uses. A
 * group that cannot be reserved now waits (a pending demand); one that can never fit is infeasible. Bundles on
 * a node that dies are reserved again elsewhere, keeping the group's strategy.
 */
export class PlacementGroups implements BundleSlots {
  private readonly groups = new Map<string, Group>();
  private readonly table: Table<DurableGroup> | undefined;

  /** A restarted head's groups hold their reservations again: on nodes still known alive, at once. */
  constructor(private readonly host: PlacementHost, store?: GcsStore) {
    this.table = store?.table<DurableGroup>('placement_groups');
    for (const d of this.table?.values() ?? []) {
      const g: Group = { spec: d.spec, state: d.state, bundles: d.spec.bundles.map((resources, index) => ({ index, resources, nodeId: undefined, available: resources })) };
      for (const b of g.bundles) {
        const nodeId = d.nodes[b.index] ?? null;
        const node = nodeId === null ? undefined : host.nodes.get(nodeId);
        if (nodeId === null || !node || node.state === 'DEAD') continue;
        host.nodes.acquire(nodeId, b.resources);
        b.nodeId = nodeId;
      }
      if (g.state === 'CREATED' && g.bundles.some((b) => b.nodeId === undefined)) g.state = 'RESCHEDULING';
      this.groups.set(d.spec.pgId, g);
    }
  }

  private persist(g: Group): void {
    if (!this.table) return;
    if (g.state === 'REMOVED') return writeBehind(this.table.update(g.spec.pgId, () => undefined));
    writeBehind(this.table.update(g.spec.pgId, () => ({ spec: g.spec, state: g.state, nodes: g.bundles.map((b) => b.nodeId ?? null) })));
  }

  create(spec: PlacementGroupSpec): void {
    if (this.groups.has(spec.pgId)) return;
    const g: Group = { spec, state: 'PENDING', bundles: spec.bundles.map((resources, index) => ({ index, resources, nodeId: undefined, available: resources })) };
    this.groups.set(spec.pgId, g);
    this.persist(g);
    const { shapes, maxNodes } = this.host.limits();
    if (!placementFeasible(shapes, spec.bundles, spec.strategy, maxNodes)) {
      g.state = 'INFEASIBLE';
      this.persist(g);
      this.host.notify(spec.owner, spec.pgId, 'INFEASIBLE', `placement group ${spec.name ?? spec.pgId} (${spec.strategy}, ${spec.bundles.length} bundles) can never fit this cluster's node types`);
      return;
    }
    this.place();
  }

  /** Tries to reserve every waiting group (all of its missing bundles, or none). */
  place(): void {
    for (const g of this.groups.values()) {
      if (g.state !== 'PENDING' && g.state !== 'RESCHEDULING') continue;
      const fixed = new Map<number, string>();
      for (const b of g.bundles) if (b.nodeId !== undefined) fixed.set(b.index, b.nodeId);
      const nodes = this.host.nodes.placeable().map((n) => ({ nodeId: n.nodeId, available: n.available }));
      const plan = planPlacement(nodes, g.spec.bundles, g.spec.strategy, fixed);
      if (!plan) continue;
      for (const b of g.bundles) {
        if (b.nodeId !== undefined) continue;
        const nodeId = plan[b.index];
        if (nodeId === undefined) continue;
        this.host.nodes.acquire(nodeId, b.resources);
        b.nodeId = nodeId;
        b.available = b.resources;
      }
      const was = g.state;
      g.state = 'CREATED';
      this.persist(g);
      if (was === 'PENDING') this.host.notify(g.spec.owner, g.spec.pgId, 'CREATED');
    }
  }

  /** The job that made the group. */
  jobOf(pgId: string): string | undefined {
    return this.groups.get(pgId)?.spec.jobId;
  }

  /** `byJob`: the job that removed it (its own job, when the job ended). */
  remove(pgId: string, byJob: string | undefined): void {
    const g = this.groups.get(pgId);
    if (!g || g.state === 'REMOVED') return;
    // Give back what the bundles reserved, less what work inside them still holds: that work is killed now, and
    // its share goes back to the node as it ends (release() below). Each bundle keeps its node for that.
    for (const b of g.bundles) if (b.nodeId !== undefined) this.host.nodes.release(b.nodeId, b.available);
    const was = g.state;
    g.state = 'REMOVED';
    this.persist(g);
    if (was === 'PENDING') this.host.notify(g.spec.owner, pgId, 'REMOVED', 'the placement group was removed before it was ready');
    this.host.removed(pgId, `its placement group ${g.spec.name ?? pgId} was removed`, byJob);
    this.host.resourcesFreed();
  }

  nodeDied(nodeId: string): void {
    for (const g of this.groups.values()) {
      if (g.state === 'REMOVED') {
        // Work still ending there gives nothing back: the node's resources went with it.
        for (const b of g.bundles) if (b.nodeId === nodeId) b.nodeId = undefined;
        continue;
      }
      if (g.state !== 'CREATED') continue;
      let lost = false;
      for (const b of g.bundles) {
        if (b.nodeId !== nodeId) continue;
        b.nodeId = undefined;
        b.available = b.resources;
        lost = true;
      }
      if (lost) {
        g.state = 'RESCHEDULING';
        this.persist(g);
      }
    }
    this.place();
  }

  jobEnded(jobId: string): void {
    for (const g of this.groups.values()) if (g.spec.jobId === jobId) this.remove(g.spec.pgId, jobId);
  }

  /** Whether some live group holds a bundle on this node. */
  reservesOn(nodeId: string): boolean {
    for (const g of this.groups.values()) if (g.state !== 'REMOVED' && g.bundles.some((b) => b.nodeId === nodeId)) return true;
    return false;
  }

  // --- bundles as slots (the SlotBroker's BundleSlots) ---

  candidates(pgId: string, bundleIndex: number): SlotCandidate[] {
    const g = this.groups.get(pgId);
    if (!g || g.state !== 'CREATED') return [];
    // A bundle on a node still in a restarted head's reconnect grace takes no work until its agent is back.
    return g.bundles.flatMap((b) => (b.nodeId !== undefined && (bundleIndex < 0 || b.index === bundleIndex) && !this.host.nodes.awaitingReconnect(b.nodeId)
      ? [{ slot: { kind: 'bundle' as const, pgId, index: b.index }, nodeId: b.nodeId, total: b.resources, available: b.available }]
      : []));
  }

  acquire(slot: BundleSlot, need: Fixed): void {
    const b = this.groups.get(slot.pgId)?.bundles[slot.index];
    if (b) b.available = subtract(b.available, need);
  }

  release(slot: BundleSlot, need: Fixed): void {
    const g = this.groups.get(slot.pgId);
    const b = g?.bundles[slot.index];
    if (!b) return;
    // Work that ends after its group was removed gives its share back to the node itself.
    if (g?.state === 'REMOVED') {
      if (b.nodeId !== undefined) this.host.nodes.release(b.nodeId, need);
      return;
    }
    b.available = add(b.available, need);
  }

  nodeOf(slot: BundleSlot): string | undefined {
    const g = this.groups.get(slot.pgId);
    return g?.state === 'REMOVED' ? undefined : g?.bundles[slot.index]?.nodeId;
  }

  /** Whether a request could ever fit one bundle of the group (never, once the group is removed). */
  fitsBundle(pgId: string, bundleIndex: number, need: Fixed): boolean {
    const g = this.groups.get(pgId);
    return !!g && g.state !== 'REMOVED' && g.bundles.some((b) => (bundleIndex < 0 || b.index === bundleIndex) && fits(b.resources, need));
  }

  demands(): DemandView[] {
    const out: DemandView[] = [];
    const { shapes, maxNodes } = this.host.limits();
    for (const g of this.groups.values()) {
      if (g.state !== 'PENDING' && g.state !== 'RESCHEDULING') continue;
      for (const b of g.bundles) {
        if (b.nodeId !== undefined) continue;
        out.push({ resources: fromFixed(b.resources), count: 1, infeasible: !placementFeasible(shapes, g.spec.bundles, g.spec.strategy, maxNodes), source: 'placement_group', strategy: g.spec.strategy });
      }
    }
    return out;
  }

  /** Groups waiting to be reserved, with the bundles still missing: the autoscaler's input. */
  pending(): { id: string; strategy: PlacementGroupSpec['strategy']; bundles: { resources: Record<string, number>; count: number }[] }[] {
    return [...this.groups.values()].filter((g) => g.state === 'PENDING' || g.state === 'RESCHEDULING').map((g) => ({
      id: g.spec.pgId, strategy: g.spec.strategy,
      bundles: g.bundles.filter((b) => b.nodeId === undefined).map((b) => ({ resources: fromFixed(b.resources), count: 1 })),
    }));
  }

  views(): PlacementGroupView[] {
    return [...this.groups.values()].filter((g) => g.state !== 'REMOVED').map((g) => ({
      pgId: g.spec.pgId, name: g.spec.name ?? null, strategy: g.spec.strategy, state: g.state,
      bundles: g.bundles.map((b) => ({ resources: fromFixed(b.resources), nodeId: b.nodeId ?? null })),
    }));
  }
}
