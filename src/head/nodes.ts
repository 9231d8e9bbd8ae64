import { type Fixed, fromFixed, subtract, add, toFixed, type ResourceDict } from '../common/resources.js';
import type { NodeView } from '../protocol/messages.js';
import type { GcsStore, Table } from './gcs/store.js';

export interface NodeRecord {
  nodeId: string;
  nodeType: string;
  kind: 'head' | 'worker';
  address: string;
  /** host:port of its object server ('' until known). */
  objectAddress: string;
  pid: number;
  state: 'ALIVE' | 'DRAINING' | 'DEAD';
  total: Fixed;
  available: Fixed;
  lastHeartbeat: number;
  diedAt: number | undefined;
  registeredAt: number;
  /** Last time it had work, an actor or objects someone may still need (idle time counts from here). */
  lastUsedAt: number;
  /** Why it drains when the autoscaler did not choose it (a spot interruption notice). */
  drainReason?: string;
}

/** The GCS node table: every node that registered, its resources as the scheduler counts them, and liveness. */
export class NodeTable {
  private readonly nodes: Table<NodeRecord>;

  constructor(store: GcsStore) {
    this.nodes = store.table<NodeRecord>('nodes');
  }

  register(r: { nodeId: string; nodeType: string; kind: 'head' | 'worker'; address: string; objectAddress?: string; pid: number; resources: ResourceDict }, now: number): NodeRecord {
    const total = toFixed(r.resources);
    const rec: NodeRecord = { ...r, objectAddress: r.objectAddress ?? '', state: 'ALIVE', total, available: total, lastHeartbeat: now, diedAt: undefined, registeredAt: now, lastUsedAt: now };
    this.nodes.set(r.nodeId, rec);
    return rec;
  }

  get(nodeId: string): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  alive(): NodeRecord[] {
    return this.nodes.values().filter((n) => n.state === 'ALIVE');
  }

  all(): NodeRecord[] {
    return this.nodes.values();
  }

  heartbeat(nodeId: string, now: number): void {
    const n = this.nodes.get(nodeId);
    if (n && n.state !== 'DEAD') {
      n.lastHeartbeat = now;
      this.nodes.set(nodeId, n); // write-through, for stores that persist
    }
  }

  /** No new work goes to a draining node (it is about to be terminated); running work finishes. */
  markDraining(nodeId: string, reason?: string): boolean {
    const n = this.nodes.get(nodeId);
    if (n?.state !== 'ALIVE') return false;
    n.state = 'DRAINING';
    if (reason !== undefined) n.drainReason = reason;
    this.nodes.set(nodeId, n);
    return true;
  }

  /** Records which nodes are in use now (their idle time restarts). */
  touch(now: number, inUse: (n: NodeRecord) => boolean): void {
    for (const n of this.nodes.values()) if (n.state !== 'DEAD' && inUse(n)) n.lastUsedAt = now;
  }

  /** Marks a node dead; returns false when it already was. */
  markDead(nodeId: string, now: number): boolean {
    const n = this.nodes.get(nodeId);
    if (!n || n.state === 'DEAD') return false;
    n.state = 'DEAD';
    n.diedAt = now;
    n.available = {};
    this.nodes.set(nodeId, n);
    return true;
  }

  /** Nodes whose last heartbeat is older than the timeout. */
  silentSince(cutoff: number): NodeRecord[] {
    return this.nodes.values().filter((n) => n.state !== 'DEAD' && n.lastHeartbeat < cutoff);
  }

  acquire(nodeId: string, need: Fixed): void {
    const n = this.nodes.get(nodeId);
    if (n && n.state !== 'DEAD') {
      n.available = subtract(n.available, need);
      this.nodes.set(nodeId, n);
    }
  }

  release(nodeId: string, need: Fixed): void {
    const n = this.nodes.get(nodeId);
    if (n && n.state !== 'DEAD') {
      n.available = add(n.available, need);
      this.nodes.set(nodeId, n);
    }
  }

  /** Forgets nodes dead for longer than `keepMs` (nodes() reports recently dead ones only). */
  prune(now: number, keepMs: number): void {
    for (const n of this.nodes.values()) if (n.state === 'DEAD' && n.diedAt !== undefined && now - n.diedAt > keepMs) this.nodes.delete(n.nodeId);
  }

  view(n: NodeRecord): NodeView {
    return {
      nodeId: n.nodeId, nodeType: n.nodeType, kind: n.kind, address: n.address, state: n.state, pid: n.pid,
      // Tasks sent ahead to a busy node count against it; what is free is never below zero.
      total: fromFixed(n.total), available: fromFixed(Object.fromEntries(Object.entries(n.available).map(([k, v]) => [k, Math.max(0, v)]))),
      lastHeartbeat: n.lastHeartbeat, ...(n.drainReason !== undefined ? { drainReason: n.drainReason } : {}),
    };
  }
}
