/**
 * Ray's `local` provider: a fixed pool of on-prem hosts reached over SSH. launch takes free hosts from the pool
 * and sets each up (in the background; the node is 'pending' until then), terminate stops raylaunch's processes
 * on the host and returns it. A host whose setup failed sits out a cool-down, so a broken host is not retried
 * on every autoscaler tick; an exhausted pool is a CapacityError, which the autoscaler backs off from.
 */
import { CapacityError, ProviderConfigError } from '../errors.js';
import { CLUSTER_NAME_TAG, NODE_STATUS_TAG, type CloudNode, type LaunchRequest, type NodeProvider, validateLaunchRequest } from '../provider.js';
import type { Pool, PoolEntry, PoolStore } from './pool.js';

export { FilePoolStore, MemoryPoolStore, type Pool, type PoolStore } from './pool.js';


export interface LocalProviderOptions {
  clusterName: string;
  headIp: string;
  workerIps: string[];
  /** Per node type, the hosts it may use (Ray's node_config.worker_ips); other types use all of workerIps. */
  typeHosts?: Record<string, string[]>;
  store: PoolStore;
  /** Brings a freshly allocated host up (SSH, sync, setup, start); rejects with the reason it could not. */
  setUp(node: CloudNode): Promise<void>;
  /** Stops raylaunch's processes on a host; fine when none run. */
  stop(node: CloudNode): Promise<void>;
  /** A host's update failed for good (for the autoscaler's events and the log). */
  onSetupFailed?(node: CloudNode, error: Error): void;
  /** Set when the provider runs on the head: the head host is listed as the cluster's running head. */
  head?: { nodeType: string };
  now?(): number;
  /** How long a host whose setup failed is kept out of the pool; default 60 s. */
  failedCooldownMs?: number;
}

export class LocalProvider implements NodeProvider {
  private lock: Promise<unknown> = Promise.resolve();
  private readonly setups = new Map<string, Promise<void>>();
  private readonly now: () => number;

  constructor(private readonly o: LocalProviderOptions) {
    if (o.workerIps.includes(o.headIp)) {
      throw new ProviderConfigError(`provider.worker_ips contains the head's address ${o.headIp}`, { hint: 'list each host once: the head in head_ip, the others in worker_ips' });
    }
    this.now = o.now ?? Date.now;
  }

  /** Pool changes one at a time: concurrent launches must not hand out the same host. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  async listNodes(): Promise<CloudNode[]> {
    const pool = await this.o.store.read();
    if (this.o.head && !pool[this.o.headIp]) {
      pool[this.o.headIp] = { nodeType: this.o.head.nodeType, kind: 'head', requestId: 'head', tags: {}, state: 'running', since: 0 };
    }
    return Object.entries(pool).filter(([, e]) => e.state !== 'failed').map(([ip, e]) => this.toNode(ip, e)).sort((a, b) => a.id.localeCompare(b.id));
  }

  async launch(req: LaunchRequest): Promise<void> {
    validateLaunchRequest(req);
    return this.exclusive(async () => {
      const pool = await this.o.store.read();
      const now = this.now();
      const cooldown = this.o.failedCooldownMs ?? 60_000;
      for (const [ip, e] of Object.entries(pool)) if (e.state === 'failed' && now - e.since >= cooldown) delete pool[ip];
      const have = Object.values(pool).filter((e) => e.requestId === req.requestId && e.state !== 'failed').length;
      const need = req.count - have;
      if (need <= 0) return;
      const candidates = req.kind === 'head' ? [this.o.headIp] : (this.o.typeHosts?.[req.nodeType] ?? this.o.workerIps);
      const free = candidates.filter((ip) => pool[ip] === undefined);
      const taken = free.slice(0, need);
      const tags = { ...req.tags, [CLUSTER_NAME_TAG]: this.o.clusterName };
      for (const ip of taken) pool[ip] = { nodeType: req.nodeType, kind: req.kind, requestId: req.requestId, tags, state: 'setting-up', since: now };
      await this.o.store.write(pool);
      for (const ip of taken) this.startSetup(ip, pool[ip] as PoolEntry);
      if (taken.length < need) {
        const busy = candidates.length - free.length;
        throw new CapacityError(req.kind === 'head'
          ? `the head host ${this.o.headIp} is already in use by this cluster`
          : `${need - taken.length} of ${need} ${req.nodeType} hosts could not be allocated: all ${candidates.length} of its hosts are in use or cooling down after a failed setup (${busy} busy)`, { reason: 'capacity', hint: `add hosts to ${this.o.typeHosts?.[req.nodeType] ? `available_node_types.${req.nodeType}.node_config.worker_ips` : 'provider.worker_ips'} or lower max_workers` });
      }
    });
  }

  /** Resolves when the host's current setup has ended (rejects with its error); at once when none runs. */
  settled(id: string): Promise<void> {
    return this.setups.get(id) ?? Promise.resolve();
  }

  private startSetup(ip: string, e: PoolEntry): void {
    const node = this.toNode(ip, e);
    const p = this.o.setUp(node).then(
      async () => {
        // Terminated while it was being set up: what the setup started must not outlive the node.
        if (!(await this.mark(ip, e.requestId, { state: 'running' }))) await this.o.stop(node);
      },
      async (err: Error) => {
        await this.mark(ip, e.requestId, { state: 'failed', error: err.message });
        await this.o.stop(node).catch(() => undefined);
        this.o.onSetupFailed?.(node, err);
        throw err;
      },
    );
    this.setups.set(ip, p);
    p.catch(() => undefined).finally(() => { if (this.setups.get(ip) === p) this.setups.delete(ip); });
  }

  /** Updates a host's entry; false when the host was terminated (or handed out again) meanwhile. */
  private mark(ip: string, requestId: string, change: Partial<PoolEntry>): Promise<boolean> {
    return this.exclusive(async () => {
      const pool = await this.o.store.read();
      const e = pool[ip];
      if (e?.requestId !== requestId) return false;
      pool[ip] = { ...e, ...change, since: this.now() };
      await this.o.store.write(pool);
      return true;
    });
  }

  async terminate(ids: string[]): Promise<void> {
    const pool = await this.o.store.read();
    const known = [...new Set(ids)].filter((id) => pool[id] !== undefined);
    // A setup still running would start the daemon after the stop: let it end first.
    await Promise.allSettled(known.map((id) => this.settled(id)));
    const stopped = await Promise.allSettled(known.map((id) => this.o.stop(this.toNode(id, pool[id] as PoolEntry))));
    await this.exclusive(async () => {
      const now = await this.o.store.read();
      for (const id of known) delete now[id];
      await this.o.store.write(now);
    });
    const failed = stopped.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private toNode(ip: string, e: PoolEntry): CloudNode {
    const status = e.state === 'running' ? 'up-to-date' : 'setting-up';
    return {
      id: ip, nodeType: e.nodeType, kind: e.kind, status: e.state === 'running' ? 'running' : 'pending', internalIp: ip, requestId: e.requestId,
      tags: { ...e.tags, [CLUSTER_NAME_TAG]: this.o.clusterName, [NODE_STATUS_TAG]: status },
    };
  }
}

export type { Pool as LocalPool };
