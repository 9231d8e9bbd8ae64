// The fake's state and its clock-driven moves: instances through GCE's lifecycle, operations to DONE, and the
// deadlines of long-polls (operations.wait, the metadata server's wait_for_change). Nothing here speaks HTTP.
import { EventEmitter } from 'node:events';
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../../src/common/clock.js';
import { Faults } from './faults.js';
import type { HostPool } from './host-pool.js';
import type { Firewall, Instance, InstanceStatus, Operation } from './model.js';

export interface CloudOptions {
  project: string;
  projectNumber: string;
  clock: Clock;
  pool: HostPool;
  bootDelayMs: number;
  stopDelayMs: number;
  deleteDelayMs: number;
  operationDelayMs: number;
  operationPendingMs: number;
  pageSize: number;
  tokenLifetimeMs: number;
}

/** A bearer token the fake issued: to a user (the OAuth token endpoint) or to an instance's service account. */
export interface Token {
  token: string;
  principal: string;
  kind: 'user' | 'serviceAccount';
  /** the instance it was issued to, for service-account tokens */
  instance?: string;
  scopes: string[];
  expires: number;
}

/**
 * Allowed moves, GCE's instance lifecycle. Deletion is STOPPING with `stoppingTo: 'DELETED'`, after which the
 * instance is gone.
 */
const TRANSITIONS: Record<InstanceStatus, InstanceStatus[]> = {
  // resources found, the host is being prepared; a delete or preemption meanwhile stops it
  PROVISIONING: ['STAGING', 'STOPPING'],
  // the host boots
  STAGING: ['RUNNING', 'STOPPING'],
  // stop, delete, preemption; suspend
  RUNNING: ['STOPPING', 'SUSPENDING'],
  // the guest shut down: stopped (or deleted)
  STOPPING: ['TERMINATED'],
  // start; a stopped instance is only billed for its disks
  TERMINATED: ['PROVISIONING'],
  SUSPENDING: ['SUSPENDED'],
  // resume; stop or delete of a suspended instance
  SUSPENDED: ['PROVISIONING', 'STOPPING'],
};

export const DEFAULT_SCOPES = ['https://www.googleapis.com/auth/cloud-platform'];

export class Cloud extends EventEmitter {
  readonly instances = new Map<string, Instance>();
  readonly operations = new Map<string, Operation>();
  readonly firewalls = new Map<string, Firewall>();
  readonly tokens = new Map<string, Token>();
  /** requestId → the operation it made, so a retried call gets the same operation back */
  readonly requestIds = new Map<string, string>();
  readonly projectMetadata: { key: string; value: string }[] = [];
  readonly serviceAccounts = new Set<string>();
  readonly faults = new Faults();
  /** host:port of the metadata server, handed to each boot */
  metadataHost: string | undefined;
  private seq = 0;
  private readonly pending = new Set<Promise<void>>();
  private readonly deadlines = new Set<{ at: number; fire: () => void }>();

  constructor(readonly opts: CloudOptions) {
    super();
    this.serviceAccounts.add(this.defaultServiceAccount);
  }

  get defaultServiceAccount(): string {
    return `${this.opts.projectNumber}-compute@developer.gserviceaccount.com`;
  }

  now(): number {
    return this.opts.clock.now();
  }

  /** A numeric id as GCE gives them (uint64 as a decimal string). */
  nextId(): string {
    this.seq += 1;
    return `${4_100_000_000_000_000 + this.seq * 7919}`;
  }

  key(zone: string, name: string): string {
    return `${zone}/${name}`;
  }

  issueToken(principal: string, kind: Token['kind'], scopes: string[], instance?: string): Token {
    const t: Token = { token: `ya29.fake-${randomBytes(24).toString('base64url')}`, principal, kind, instance, scopes, expires: this.now() + this.opts.tokenLifetimeMs };
    this.tokens.set(t.token, t);
    return t;
  }

  newOperation(o: { zone?: string; operationType: string; targetLink: string; targetId?: string; user: string; requestId?: string; method: string }): Operation {
    const now = this.now();
    const pending = this.opts.operationPendingMs;
    const delay = pending + this.opts.operationDelayMs + this.faults.takeSlow(o.method);
    const op: Operation = {
      id: this.nextId(),
      name: `operation-${now}-${randomBytes(6).toString('hex')}-${randomBytes(4).toString('hex')}`,
      zone: o.zone, operationType: o.operationType, targetLink: o.targetLink, targetId: o.targetId, user: o.user,
      status: delay === 0 ? 'DONE' : pending > 0 ? 'PENDING' : 'RUNNING', insertTime: now, startAt: now + pending, doneAt: now + delay, requestId: o.requestId,
    };
    if (op.status !== 'PENDING') op.startTime = now;
    if (op.status === 'DONE') op.endTime = now;
    this.operations.set(op.name, op);
    if (o.requestId !== undefined) this.requestIds.set(o.requestId, op.name);
    return op;
  }

  /** Calls `fire` once the clock reaches `at` (on settle); returns the cancel. */
  at(at: number, fire: () => void): () => void {
    const d = { at, fire };
    this.deadlines.add(d);
    this.emit('transition');
    return () => this.deadlines.delete(d);
  }

  /** `at` is when the move happened: a move applied late (the clock jumped past it) times the next from there. */
  transition(inst: Instance, to: InstanceStatus | 'DELETED', reason?: string, at = this.now()): void {
    if (to !== 'DELETED' && !TRANSITIONS[inst.status].includes(to)) throw new Error(`fake GCP: ${inst.name} cannot go ${inst.status} → ${to}`);
    const now = at;
    inst.due = undefined;
    if (to === 'DELETED') {
      this.instances.delete(this.key(inst.zone, inst.name));
      this.releaseHost(inst);
    } else {
      inst.status = to;
      if (to === 'PROVISIONING') {
        inst.due = { at: now + this.opts.bootDelayMs / 2, to: 'STAGING' };
        inst.guestAttributes.clear();
        inst.preempted = false;
      }
      if (to === 'STAGING') inst.due = { at: now + this.opts.bootDelayMs / 2, to: 'RUNNING' };
      if (to === 'RUNNING') this.boot(inst);
      if (to === 'STOPPING') inst.due = { at: now + (inst.stoppingTo === 'DELETED' ? this.opts.deleteDelayMs : this.opts.stopDelayMs), to: inst.stoppingTo === 'DELETED' ? 'DELETED' : 'TERMINATED' };
      if (to === 'SUSPENDING') inst.due = { at: now + this.opts.stopDelayMs, to: 'SUSPENDED' };
      if (to === 'TERMINATED' || to === 'SUSPENDED') {
        inst.lastStop = now;
        this.releaseHost(inst);
      }
    }
    this.emit('change', { instance: inst.name, to, reason });
    this.emit('transition');
  }

  /** A new instance, its host already taken: staging after half the boot delay, running after the rest. */
  add(inst: Instance): void {
    this.instances.set(this.key(inst.zone, inst.name), inst);
    inst.status = 'PROVISIONING';
    inst.due = { at: this.now() + this.opts.bootDelayMs / 2, to: 'STAGING' };
    this.emit('change', { instance: inst.name, to: 'PROVISIONING' });
    this.emit('transition');
  }

  /** Stops (to TERMINATED) or deletes an instance, from whatever state it is in. */
  halt(inst: Instance, to: 'TERMINATED' | 'DELETED'): void {
    inst.stoppingTo = to;
    if (inst.status === 'STOPPING') {
      if (to === 'DELETED') inst.due = { at: this.now() + this.opts.deleteDelayMs, to: 'DELETED' };
      return;
    }
    if (inst.status === 'TERMINATED' || inst.status === 'SUSPENDING') {
      if (to === 'DELETED') this.transition(inst, 'DELETED');
      return;
    }
    this.transition(inst, 'STOPPING');
  }

  /** Applies every move that is due by now; answers long-polls whose deadline passed. */
  settle(): void {
    for (let round = 0; round < 1000; round += 1) {
      const now = this.now();
      let moved = false;
      for (const inst of [...this.instances.values()]) {
        if (inst.due !== undefined && inst.due.at <= now) {
          this.transition(inst, inst.due.to, undefined, inst.due.at);
          moved = true;
        }
      }
      for (const op of this.operations.values()) {
        if (op.status === 'PENDING' && op.startAt <= now) {
          op.status = 'RUNNING';
          op.startTime = op.startAt;
          moved = true;
        }
        if (op.status !== 'DONE' && op.doneAt <= now) {
          op.status = 'DONE';
          op.endTime = now;
          moved = true;
          this.emit('change', { operation: op.name });
        }
      }
      for (const d of [...this.deadlines]) {
        if (d.at <= now) {
          this.deadlines.delete(d);
          d.fire();
          moved = true;
        }
      }
      if (!moved) return;
    }
  }

  nextDue(): number | undefined {
    const times = [
      ...[...this.instances.values()].flatMap((i) => (i.due === undefined ? [] : [i.due.at])),
      ...[...this.operations.values()].filter((o) => o.status !== 'DONE').map((o) => (o.status === 'PENDING' ? o.startAt : o.doneAt)),
      ...[...this.deadlines].map((d) => d.at),
    ];
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /** Waits until every boot and release handed to the host pool so far has finished. */
  async idle(): Promise<void> {
    for (let i = 0; i < 100 && this.pending.size > 0; i += 1) await Promise.allSettled([...this.pending]);
  }

  metadataOf(inst: Instance): Record<string, string> {
    const out: Record<string, string> = {};
    for (const { key, value } of this.projectMetadata) out[key] = value;
    for (const { key, value } of inst.metadata) out[key] = value;
    return out;
  }

  private track(p: Promise<void>): void {
    const q = p.catch((e: unknown) => { console.error('fake GCP: host pool:', e); }).finally(() => this.pending.delete(q));
    this.pending.add(q);
  }

  private boot(inst: Instance): void {
    inst.lastStart = this.now();
    const lease = inst.lease;
    if (lease === undefined) return;
    const md = this.metadataOf(inst);
    if ((md['enable-guest-attributes'] ?? '').toUpperCase() === 'TRUE') {
      // What Google's guest agent does at first boot: publish the host's keys, which only the instance can write.
      for (const k of this.opts.pool.hostKeys(lease)) inst.guestAttributes.set(`hostkeys/${k.keyType}`, k.key);
    }
    const blocked = (inst.metadata.find((m) => m.key === 'block-project-ssh-keys')?.value ?? '').toUpperCase() === 'TRUE';
    const keyLines = (v: string | undefined): string[] => (v ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const sshKeys = [...keyLines(inst.metadata.find((m) => m.key === 'ssh-keys')?.value), ...(blocked ? [] : keyLines(this.projectMetadata.find((m) => m.key === 'ssh-keys')?.value))];
    this.track(this.opts.pool.boot(lease, {
      name: inst.name, zone: inst.zone, machineType: inst.machineType, metadata: md, sshKeys, labels: { ...inst.labels },
      serviceAccount: inst.serviceAccounts[0]?.email, metadataHost: this.metadataHost,
    }));
  }

  private releaseHost(inst: Instance): void {
    const lease = inst.lease;
    if (lease === undefined) return;
    inst.lease = undefined;
    this.track(this.opts.pool.release(lease));
  }
}
