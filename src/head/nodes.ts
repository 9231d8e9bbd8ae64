import { type Fixed, fromFixed, subtract, add, toFixed, type ResourceDict } from '../common/resources.js';
import type { NodeView } from '../protocol/messages.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';

/**
 * What the GCS keeps of a node, written behind (the head goes on without waiting): an agent registers again after
 * a head restart, so a registration or state change lost with the head is made again, and a node a restarted head
 * still finds ALIVE but never hears from again is declared dead by its heartbeat timeout.
 */
export interface DurableNode {
  nodeId: string;
  nodeType: string;
  kind: 'head' | 'worker';
  address: string;
  /** host:port of its object server ('' until known). */
  objectAddress: string;
  pid: number;
  state: 'ALIVE' | 'DRAINING' | 'DEAD';
  total: Fixed;
  registeredAt: number;
  diedAt?: number;
  /** Why it drains when the autoscaler did not choose it (a spot interruption notice). */
  drainReason?: string;
}

/**
 * A node as the head uses it: the durable record plus what is not durable at all, kept in this process only:
 * - `available`: changes with every task placed or ended; a restarted head counts it again from what the agents
 *   report (it starts at `total`);
 * - `lastHeartbeat`: a restarted head starts every node's heartbeat timeout afresh (it cannot know how long it
 *   was away);
 * - `lastUsedAt`: idle time counts again from the restart, so a restart never makes a node look idle;
 * - `reconnectBy`: set on a node loaded from the store until its agent registers again (a restarted head's
 *   reconnect grace): until then it is neither declared dead, nor idle, nor given work;
 * - `connectedAt`: when its agent last registered with this head process (`registeredAt` is the node's first
 *   registration, kept across restarts), so `status` tells a node whose agent is back from one still awaited.
 */
export interface NodeRecord extends DurableNode {
  available: Fixed;
  lastHeartbeat: number;
  /** Last time it had work, an actor or objects someone may still need (idle time counts from here). */
  lastUsedAt: number;
  /** Loaded from the store and not yet registered again: declared dead only after this time. */
  reconnectBy?: number;
  /** When its agent last registered with this head process; absent on a loaded node until its agent is back. */
  connectedAt?: number;
}

/**
 * Whether a node's agent is overdue at `now`: silent past the heartbeat timeout, or, in a restarted head's
 * reconnect grace, not back by its end. Pure.
 */
export function overdue(n: NodeRecord, now: number, heartbeatTimeoutMs: number): boolean {
  if (n.state === 'DEAD') return false;
  return n.reconnectBy !== undefined ? now > n.reconnectBy : n.lastHeartbeat < now - heartbeatTimeoutMs;
}

const durable = (n: NodeRecord): DurableNode => {
  const { available: _a, lastHeartbeat: _h, lastUsedAt: _u, reconnectBy: _r, connectedAt: _c, ...rest } = n;
  return rest;
};

/**
 * The GCS node table: every node that registered, its resources as the scheduler counts them, and liveness.
 * Records are values: each change makes a new one (frozen), and changes to the durable part go to the store.
 */
export class NodeTable {
  private readonly table: Table<DurableNode>;
  private readonly nodes = new Map<string, NodeRecord>();

  /**
   * `now`: when this head opened the store (the start of every loaded node's idle time); `reconnectMs`: how long
   * a loaded node's agent has to register again (raylaunch.head_reconnect_timeout_s) before it is declared dead.
   */
  constructor(store: GcsStore, now = 0, reconnectMs = 0) {
    this.table = store.table<DurableNode>('nodes');
    for (const d of this.table.values()) {
      const grace = d.state === 'DEAD' ? {} : { reconnectBy: now + reconnectMs };
      this.nodes.set(d.nodeId, Object.freeze({ ...d, available: d.state === 'DEAD' ? {} : d.total, lastHeartbeat: now, lastUsedAt: now, ...grace }));
    }
  }

  /** Keeps the new record; its durable part goes to the store (behind) when `durableChange`. */
  private put(n: NodeRecord, durableChange: boolean): NodeRecord {
    const rec = Object.freeze(n);
    Object.freeze(rec.available);
    this.nodes.set(rec.nodeId, rec);
    if (durableChange) writeBehind(this.table.update(rec.nodeId, () => durable(rec)));
    return rec;
  }

  register(r: { nodeId: string; nodeType: string; kind: 'head' | 'worker'; address: string; objectAddress?: string; pid: number; resources: ResourceDict }, now: number): NodeRecord {
    const total = Object.freeze(toFixed(r.resources));
    // Back after a head restart: what the restarted head already holds on it (reserved bundles) stays held.
    const prev = this.nodes.get(r.nodeId);
    const available = prev?.reconnectBy !== undefined ? subtract(total, subtract(prev.total, prev.available)) : total;
    return this.put({
      nodeId: r.nodeId, nodeType: r.nodeType, kind: r.kind, address: r.address, objectAddress: r.objectAddress ?? '', pid: r.pid,
      state: 'ALIVE', total, available, lastHeartbeat: now, registeredAt: prev?.reconnectBy !== undefined ? prev.registeredAt : now, lastUsedAt: now, connectedAt: now,
    }, true);
  }

  get(nodeId: string): NodeRecord | undefined {
    return this.nodes.get(nodeId);
  }

  alive(): NodeRecord[] {
    return [...this.nodes.values()].filter((n) => n.state === 'ALIVE');
  }

  /** Alive nodes whose agent is connected: where work can be sent now (not those still in a reconnect grace). */
  placeable(): NodeRecord[] {
    return [...this.nodes.values()].filter((n) => n.state === 'ALIVE' && n.reconnectBy === undefined);
  }

  /** Whether the node was loaded from the store and its agent has not registered again yet. */
  awaitingReconnect(nodeId: string): boolean {
    return this.nodes.get(nodeId)?.reconnectBy !== undefined;
  }

  all(): NodeRecord[] {
    return [...this.nodes.values()];
  }

  heartbeat(nodeId: string, now: number): void {
    const n = this.nodes.get(nodeId);
    if (n && n.state !== 'DEAD') this.put({ ...n, lastHeartbeat: now }, false);
  }

  /** No new work goes to a draining node (it is about to be terminated); running work finishes. */
  markDraining(nodeId: string, reason?: string): boolean {
    const n = this.nodes.get(nodeId);
    if (n?.state !== 'ALIVE') return false;
    this.put({ ...n, state: 'DRAINING', ...(reason !== undefined ? { drainReason: reason } : {}) }, true);
    return true;
  }

  /** Records which nodes are in use now (their idle time restarts). */
  touch(now: number, inUse: (n: NodeRecord) => boolean): void {
    for (const n of this.nodes.values()) if (n.state !== 'DEAD' && n.lastUsedAt !== now && inUse(n)) this.put({ ...n, lastUsedAt: now }, false);
  }

  /** Marks a node dead; returns false when it already was. */
  markDead(nodeId: string, now: number): boolean {
    const n = this.nodes.get(nodeId);
    if (!n || n.state === 'DEAD') return false;
    this.put({ ...n, state: 'DEAD', diedAt: now, available: {} }, true);
    return true;
  }

  /** Nodes whose agent is overdue (overdue()). */
  overdue(now: number, heartbeatTimeoutMs: number): NodeRecord[] {
    return [...this.nodes.values()].filter((n) => overdue(n, now, heartbeatTimeoutMs));
  }

  acquire(nodeId: string, need: Fixed): void {
    const n = this.nodes.get(nodeId);
    if (n && n.state !== 'DEAD') this.put({ ...n, available: subtract(n.available, need) }, false);
  }

  release(nodeId: string, need: Fixed): void {
    const n = this.nodes.get(nodeId);
    if (n && n.state !== 'DEAD') this.put({ ...n, available: add(n.available, need) }, false);
  }

  /** Forgets nodes dead for longer than `keepMs` (nodes() reports recently dead ones only). */
  prune(now: number, keepMs: number): void {
    for (const n of [...this.nodes.values()]) {
      if (n.state === 'DEAD' && n.diedAt !== undefined && now - n.diedAt > keepMs) {
        this.nodes.delete(n.nodeId);
        writeBehind(this.table.update(n.nodeId, () => undefined));
      }
    }
  }

  view(n: NodeRecord): NodeView {
    return {
      nodeId: n.nodeId, nodeType: n.nodeType, kind: n.kind, address: n.address, state: n.state, pid: n.pid,
      // Tasks sent ahead to a busy node count against it; what is free is never below zero.
      total: fromFixed(n.total), available: fromFixed(Object.fromEntries(Object.entries(n.available).map(([k, v]) => [k, Math.max(0, v)]))),
      lastHeartbeat: n.lastHeartbeat, ...(n.connectedAt !== undefined ? { connectedAt: n.connectedAt } : {}),
      ...(n.drainReason !== undefined ? { drainReason: n.drainReason } : {}),
    };
  }
}
