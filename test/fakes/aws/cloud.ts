// The fake region's state, shared by the EC2, IAM, STS and IMDS front ends, and the instance lifecycle with its
// side effects on the host pool. Time comes from the clock passed in; what becomes due is applied by settle().
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Clock } from '../../../src/common/clock.js';
import { ACCOUNT_ID, INSTANCE_TYPES, defaultImages, defaultNetwork } from './ec2/catalog.js';
import { transition, type InstanceStateName } from './ec2/lifecycle.js';
import type { Image, Instance, InstanceTypeInfo, KeyPair, Reservation, SecurityGroup, Subnet, Tags, Vpc, Zone } from './ec2/model.js';
import { Faults } from './faults.js';
import type { HostPool } from './host-pool.js';
import type { InstanceProfile, Role, Session } from './iam/model.js';

export interface CloudOptions {
  region: string;
  clock: Clock;
  pool: HostPool;
  /** pending → running */
  bootDelayMs: number;
  /** stopping → stopped */
  stopDelayMs: number;
  /** shutting-down → terminated */
  terminateDelayMs: number;
  /** the most items one Describe page holds, whatever MaxResults asks */
  pageSize: number;
  /** how long IMDS credentials live before IMDS hands out new ones */
  credentialLifetimeMs: number;
}

/** Who signed a call. */
export type Principal =
  | { kind: 'user'; accessKeyId: string; arn: string; userId: string }
  | { kind: 'role'; accessKeyId: string; arn: string; userId: string; roleName: string; instanceId: string };

export interface TransitionEvent {
  instanceId: string;
  /** undefined for an instance RunInstances just made */
  from: InstanceStateName | undefined;
  to: InstanceStateName;
  reason: string;
}

export class Cloud extends EventEmitter {
  readonly account = ACCOUNT_ID;
  readonly faults = new Faults();
  readonly instances = new Map<string, Instance>();
  readonly reservations = new Map<string, Reservation>();
  /** ClientToken → reservation id */
  readonly tokens = new Map<string, string>();
  readonly groups = new Map<string, SecurityGroup>();
  readonly keyPairs = new Map<string, KeyPair>();
  readonly tags = new Map<string, Tags>();
  readonly zones: Zone[];
  readonly vpcs: Vpc[];
  readonly subnets: Subnet[];
  readonly images: Image[] = defaultImages();
  readonly instanceTypes: InstanceTypeInfo[] = [...INSTANCE_TYPES];
  readonly roles = new Map<string, Role>();
  readonly profiles = new Map<string, InstanceProfile>();
  readonly sessions = new Map<string, Session>();
  /** set once the IMDS listener is up, for BootRequest.imdsEndpoint */
  imdsEndpoint: string | undefined;
  private readonly pending = new Set<Promise<void>>();
  private seq = 0;

  constructor(readonly opts: CloudOptions) {
    super();
    const net = defaultNetwork(opts.region);
    this.zones = net.zones;
    this.vpcs = net.vpcs;
    this.subnets = net.subnets;
    for (const vpc of this.vpcs) {
      const id = this.newId('sg-');
      this.groups.set(id, { id, name: 'default', description: 'default VPC security group', vpcId: vpc.id, ingress: [], egress: [allTraffic()] });
    }
  }

  now(): number {
    return this.opts.clock.now();
  }

  /** An id in EC2's shape: the prefix and 17 hex digits, unique in this fake. */
  newId(prefix: string): string {
    this.seq += 1;
    return `${prefix}0${this.seq.toString(16).padStart(8, '0')}${randomBytes(4).toString('hex')}`;
  }

  secret(bytes = 20): string {
    return randomBytes(bytes).toString('base64').replace(/[+/=]/g, '').slice(0, 40);
  }

  tagsOf(resourceId: string): Tags {
    let t = this.tags.get(resourceId);
    if (t === undefined) this.tags.set(resourceId, (t = new Map()));
    return t;
  }

  arn(kind: string, id: string): string {
    return kind === 'image' ? `arn:aws:ec2:${this.opts.region}::image/${id}` : `arn:aws:ec2:${this.opts.region}:${this.account}:${kind}/${id}`;
  }

  typeInfo(name: string): InstanceTypeInfo | undefined {
    return this.instanceTypes.find((t) => t.name === name);
  }

  /** Moves an instance, runs what the move means for its host, and schedules the next automatic move. */
  move(inst: Instance, to: InstanceStateName, reason: string): void {
    const change = transition(inst.state, to, this.now(), reason);
    inst.history.push(change);
    inst.state = to;
    inst.due = undefined;
    const after = (ms: number, next: InstanceStateName, why: string): void => {
      inst.due = { at: this.now() + ms, to: next, reason: why };
    };
    switch (to) {
      case 'pending': after(this.opts.bootDelayMs, 'running', 'boot finished'); break;
      case 'running': this.track(this.boot(inst)); break;
      case 'stopping': this.releaseHost(inst); after(this.opts.stopDelayMs, 'stopped', 'stop finished'); break;
      case 'shutting-down': this.releaseHost(inst); after(this.opts.terminateDelayMs, 'terminated', 'termination finished'); break;
      case 'stopped': case 'terminated': break;
    }
    this.emit('transition', { instanceId: inst.id, from: change.from, to, reason } satisfies TransitionEvent);
  }

  /** Applies every automatic move (and spot interruption) due by now, in time order. */
  settle(): void {
    for (;;) {
      const due = [...this.instances.values()]
        .flatMap((i) => {
          const out: { inst: Instance; at: number; run: () => void }[] = [];
          if (i.due !== undefined) { const d = i.due; out.push({ inst: i, at: d.at, run: () => this.move(i, d.to, d.reason) }); }
          if (i.spotNotice !== undefined && (i.state === 'running' || i.state === 'pending')) {
            const n = i.spotNotice;
            out.push({ inst: i, at: n.at, run: () => this.interrupt(i, n.action) });
          }
          return out;
        })
        .filter((d) => d.at <= this.now())
        .sort((a, b) => a.at - b.at);
      const first = due[0];
      if (first === undefined) return;
      first.run();
    }
  }

  /** When the next automatic move is due, for a real-time timer. */
  nextDue(): number | undefined {
    const times = [...this.instances.values()].flatMap((i) => [i.due?.at, i.state === 'running' ? i.spotNotice?.at : undefined]).filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Waits for every boot and release handed to the host pool so far. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private interrupt(inst: Instance, action: 'terminate' | 'stop' | 'hibernate'): void {
    inst.stateReason = { code: 'Server.SpotInstanceTermination', message: 'Server.SpotInstanceTermination: Spot instance termination' };
    if (action === 'terminate') this.move(inst, 'shutting-down', 'spot interruption');
    else this.move(inst, 'stopping', 'spot interruption');
    inst.spotNotice = undefined;
  }

  private async boot(inst: Instance): Promise<void> {
    const lease = inst.lease;
    if (lease === undefined) return;
    const key = inst.keyName === undefined ? undefined : [...this.keyPairs.values()].find((k) => k.name === inst.keyName);
    try {
      await this.opts.pool.boot(lease, {
        instanceId: inst.id,
        instanceType: inst.instanceType,
        userData: inst.userData,
        keyName: inst.keyName,
        publicKey: key?.publicKey,
        tags: Object.fromEntries(this.tagsOf(inst.id)),
        imdsEndpoint: this.imdsEndpoint,
      });
      this.emit('booted', inst.id);
    } catch (e) {
      this.emit('boot-failed', inst.id, e);
    }
  }

  private releaseHost(inst: Instance): void {
    const lease = inst.lease;
    if (lease === undefined) return;
    inst.lease = undefined;
    this.track(this.opts.pool.release(lease).catch((e: unknown) => { this.emit('release-failed', inst.id, e); }));
  }

  private track(p: Promise<void>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }
}

export function allTraffic(): SecurityGroup['egress'][number] {
  return { protocol: '-1', cidrs: [{ cidr: '0.0.0.0/0' }], groups: [] };
}
