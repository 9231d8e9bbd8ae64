// Where a fake cloud's instances "run", for both fakes: a lease of a host, the pool interface over what a cloud
// hands a booting instance, the in-memory pool that only hands out addresses, and the lease keeping of a pool of
// sshd test hosts (test/helpers/hosts). What an instance is handed, and what its host makes of it, is each cloud's.
import type { TestHost, TestHostPool } from '../../helpers/hosts/hosts.js';

/** A host taken for one instance. */
export interface HostLease {
  /** the pool's own name for the host */
  hostId: string;
  /** the instance's private address, and the source address its metadata calls come from */
  privateIp: string;
  /** the instance's public address while it runs (EC2's public IP, GCE's NAT address) */
  publicIp: string;
}

/** The hosts a fake cloud runs instances on; `Boot` is what its instances are handed as they start. */
export interface HostPool<Boot> {
  /** How many hosts are free now: a launch starts no more than this (the cloud's capacity error beyond). */
  free(): number;
  /** Takes a free host for the instance (a launch, or a start of a stopped one); undefined when none is free. */
  take(instance: string): HostLease | undefined;
  /** The instance reached running: apply what it is handed, start its services. */
  boot(lease: HostLease, req: Boot): Promise<void>;
  /** The instance stops or is deleted: end everything on the host and hand it back. */
  release(lease: HostLease): Promise<void>;
}

/** Addresses only, for the fakes' own tests: records what each boot was handed. */
export class InMemoryHostPool<Boot> implements HostPool<Boot> {
  private readonly taken = new Map<string, string>();
  readonly boots: Boot[] = [];
  readonly released: string[] = [];

  /** @param addresses one per host; loopback ones (127.0.0.N) let a test call the metadata server as that instance */
  constructor(private readonly addresses: string[]) {}

  free(): number {
    return this.addresses.length - this.taken.size;
  }

  take(instance: string): HostLease | undefined {
    const ip = this.addresses.find((a) => !this.taken.has(a));
    if (ip === undefined) return undefined;
    this.taken.set(ip, instance);
    return { hostId: ip, privateIp: ip, publicIp: ip };
  }

  async boot(_lease: HostLease, req: Boot): Promise<void> {
    this.boots.push(req);
  }

  async release(lease: HostLease): Promise<void> {
    this.taken.delete(lease.hostId);
    this.released.push(lease.hostId);
  }
}

/**
 * Instances that are real machines: the lease keeping of a pool of test hosts (network namespaces on the test
 * bridge, each with its own sshd). A cloud's pool adds boot(): what its images would apply from the launch.
 */
export abstract class SshdHostLeases<Boot> implements HostPool<Boot> {
  /** Per host (its namespace), the instance on it. */
  protected readonly taken = new Map<string, string>();
  /** Per host, the boot or halt in progress: a stop or delete while booting waits for the boot, then halts. */
  private readonly busy = new Map<string, Promise<void>>();

  /** @param hosts hosts of `pool`, made with `halted: true`; the pool's client key is not authorised on them */
  constructor(protected readonly pool: TestHostPool, private readonly hosts: TestHost[]) {}

  abstract boot(lease: HostLease, req: Boot): Promise<void>;

  free(): number {
    return this.hosts.length - this.taken.size;
  }

  take(instance: string): HostLease | undefined {
    const h = this.hosts.find((x) => !this.taken.has(x.ns));
    if (h === undefined) return undefined;
    this.taken.set(h.ns, instance);
    return { hostId: h.ns, privateIp: h.ip, publicIp: h.ip };
  }

  async release(lease: HostLease): Promise<void> {
    const h = this.hostOf(lease);
    await this.serial(h, () => this.pool.halt(h));
    this.taken.delete(h.ns);
  }

  protected hostOf(lease: HostLease): TestHost {
    const h = this.hosts.find((x) => x.ns === lease.hostId);
    if (h === undefined) throw new Error(`sshd host pool: no host ${lease.hostId}`);
    return h;
  }

  /** Runs op after the host's boot or halt in progress, so a halt never races the boot it follows. */
  protected serial(h: TestHost, op: () => Promise<void>): Promise<void> {
    const next = (this.busy.get(h.ns) ?? Promise.resolve()).catch(() => undefined).then(op);
    this.busy.set(h.ns, next);
    return next;
  }
}
