/**
 * Ray's `local` provider: a fixed pool of on-prem hosts. launch hands free hosts out of the pool, terminate
 * hands them back; setting a host up and stopping what runs there is the autoscaler's (and `up`'s) work, as for
 * every provider. A host whose setup failed is handed back through releaseFailed and sits out a cool-down, so a
 * broken host is not retried on every autoscaler tick; an exhausted pool is a CapacityError, which the
 * autoscaler backs off from.
 */
import { CapacityError, ProviderConfigError } from '../errors.js';
import { CLUSTER_NAME_TAG, type CloudNode, type HoldsFailedHosts, type LaunchRequest, type NodeProvider, validateLaunchRequest } from '../provider.js';
import type { Pool, PoolEntry, PoolStore } from './pool.js';
import { Serial } from '../../src/common/serial.js';

export { FilePoolStore, LOCAL_POOL_FILE, MemoryPoolStore, type Pool, type PoolStore } from './pool.js';


export interface LocalProviderOptions {
  clusterName: string;
  headIp: string;
  /** The address this machine reaches the head at, when it differs from headIp (Ray's external_head_ip). */
  externalHeadIp?: string;
  workerIps: string[];
  /** Per node type, the hosts it may use (Ray's node_config.worker_ips); other types use all of workerIps. */
  typeHosts?: Record<string, string[]>;
  store: PoolStore;
  /** The head host is listed as the cluster's running head (rather than handed out by a launch of kind head). */
  head?: { nodeType: string };
  now?(): number;
  /** How long a host whose setup failed is kept out of the pool; default 60 s. */
  failedCooldownMs?: number;
}

export class LocalProvider implements NodeProvider, HoldsFailedHosts {
  private readonly lock = new Serial();
  private readonly now: () => number;

  constructor(private readonly o: LocalProviderOptions) {
    if (o.workerIps.includes(o.headIp)) {
      throw new ProviderConfigError(`provider.worker_ips contains the head's address ${o.headIp}`, { hint: 'list each host once: the head in head_ip, the others in worker_ips' });
    }
    this.now = o.now ?? Date.now;
  }

  /** Pool changes one at a time: concurrent launches must not hand out the same host. */
  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    return this.lock.run(fn);
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
      for (const ip of taken) pool[ip] = { nodeType: req.nodeType, kind: req.kind, requestId: req.requestId, tags, state: 'running', since: now };
      await this.o.store.write(pool);
      if (taken.length < need) {
        const busy = candidates.length - free.length;
        throw new CapacityError(req.kind === 'head'
          ? `the head host ${this.o.headIp} is already in use by this cluster`
          : `${need - taken.length} of ${need} ${req.nodeType} hosts could not be allocated: all ${candidates.length} of its hosts are in use or cooling down after a failed setup (${busy} busy)`, { reason: 'capacity', hint: `add hosts to ${this.o.typeHosts?.[req.nodeType] ? `available_node_types.${req.nodeType}.node_config.worker_ips` : 'provider.worker_ips'} or lower max_workers` });
      }
    });
  }

  async terminate(ids: string[]): Promise<void> {
    await this.exclusive(async () => {
      const pool = await this.o.store.read();
      // A host cooling down after a failed setup stays out until its cool-down ends.
      for (const id of ids) if (pool[id]?.state !== 'failed') delete pool[id];
      await this.o.store.write(pool);
    });
  }

  async releaseFailed(ids: string[]): Promise<void> {
    await this.exclusive(async () => {
      const pool = await this.o.store.read();
      const now = this.now();
      for (const id of ids) {
        const e = pool[id];
        if (e) pool[id] = { ...e, state: 'failed', since: now };
      }
      await this.o.store.write(pool);
    });
  }

  private toNode(ip: string, e: PoolEntry): CloudNode {
    const external = e.kind === 'head' && this.o.externalHeadIp !== undefined && ip === this.o.headIp ? { externalIp: this.o.externalHeadIp } : {};
    return {
      id: ip, nodeType: e.nodeType, kind: e.kind, status: 'running', internalIp: ip, ...external, requestId: e.requestId,
      tags: { ...e.tags, [CLUSTER_NAME_TAG]: this.o.clusterName },
    };
  }
}

export type { Pool as LocalPool };
