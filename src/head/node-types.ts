import { type Fixed, fits, fromFixed, type ResourceDict, toFixed } from '../common/resources.js';
import type { ClusterConfig } from '../config/types.js';

/** A node type as the head plans with it. */
export interface PlannedType {
  name: string;
  resources: Fixed;
}

/**
 * What the cluster could grow into: the config's node types with their resources (declared, or learned from the
 * type's first node), max_workers overall and per type. The scheduler, placement groups and the autoscaler ask
 * this one place, and it follows the config `up` changes live. No I/O.
 */
export class NodeTypes {
  private config: ClusterConfig;
  /** Types declared with resources, fixed-point; the others are absent until their first node registers. */
  private declared = new Map<string, Fixed>();
  private readonly learned = new Map<string, Fixed>();

  constructor(config: ClusterConfig) {
    this.config = config;
    this.reconfigure(config);
  }

  /** A live config change (max_workers, min_workers): types cannot change without a restart, what was learned stays. */
  reconfigure(config: ClusterConfig): void {
    this.config = config;
    this.declared = new Map();
    for (const [name, t] of Object.entries(config.available_node_types)) {
      // Asked of the declaration, not of its fixed-point form: a declared {CPU: 0} is empty once fixed-point, and
      // must stay as declared rather than be learned.
      if (Object.keys(t.resources ?? {}).length > 0) this.declared.set(name, toFixed(t.resources));
    }
  }

  /**
   * A node type declared without resources (Ray's local provider, or clouds' "take the machine's size") gets
   * the resources its first node registered with, so the scheduler and the autoscaler can plan with it.
   */
  learn(nodeType: string, resources: ResourceDict): void {
    if (!(nodeType in this.config.available_node_types) || this.declared.has(nodeType) || this.learned.has(nodeType)) return;
    const fixed = toFixed(resources);
    // An empty registration teaches nothing: the next node of the type may still say what it has.
    if (Object.keys(fixed).length > 0) this.learned.set(nodeType, fixed);
  }

  private resources(name: string): Fixed {
    return this.declared.get(name) ?? this.learned.get(name) ?? {};
  }

  /** Every type of the config, in its order, with the resources planned with. */
  list(): PlannedType[] {
    return Object.keys(this.config.available_node_types).map((name) => ({ name, resources: this.resources(name) }));
  }

  /** The shapes a node of this cluster could have: what decides whether a request is feasible at all. */
  shapes(): Fixed[] {
    return this.list().map((t) => t.resources);
  }

  /** A type's resources as planned with (the autoscaler's view): declared, or learned from its first node. */
  resourcesOf(nodeType: string): Record<string, number> {
    return nodeType in this.config.available_node_types ? fromFixed(this.resources(nodeType)) : {};
  }

  /** The most nodes the cluster may have: max_workers workers and the head. */
  maxNodes(): number {
    return this.config.max_workers + 1;
  }

  /** Whether the autoscaler could add a node for this request: a type that fits it is below its max_workers, and so is the cluster. */
  canGrowFor(need: Fixed, workers: readonly { nodeType: string }[]): boolean {
    const c = this.config;
    if (workers.length >= c.max_workers) return false;
    return Object.entries(c.available_node_types).some(([name, spec]) =>
      spec.max_workers > workers.filter((w) => w.nodeType === name).length && fits(this.resources(name), need));
  }
}
