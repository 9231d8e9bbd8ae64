// Instances that are real machines: each instance the fake runs is a test host (a network namespace on the test
// bridge with its own sshd), booted with what cloud-init would apply from the launch (the host key from UserData's
// `ssh_keys`, the key pair in root's authorized_keys) and the IMDS endpoint an image would point its SDK at.
import type { TestHost, TestHostPool } from '../../helpers/hosts/hosts.js';
import { cloudInitKeys } from './cloud-init.js';
import type { BootRequest, HostLease, HostPool } from './host-pool.js';

export class SshdHostPool implements HostPool {
  private readonly taken = new Map<string, string>();
  /** Per host, the boot or halt in progress: a terminate while booting waits for the boot, then halts. */
  private readonly busy = new Map<string, Promise<void>>();
  /** Boots still to come that ignore the host key they are handed and serve one of their own (a fault). */
  wrongHostKeys = 0;
  readonly boots: { instanceId: string; host: string; hostKeyHandedIn: boolean }[] = [];

  /** @param hosts hosts of `pool`, made with `halted: true`; the pool's client key is not authorised on them */
  constructor(private readonly pool: TestHostPool, private readonly hosts: TestHost[]) {}

  free(): number {
    return this.hosts.length - this.taken.size;
  }

  take(instanceId: string): HostLease | undefined {
    const h = this.hosts.find((x) => !this.taken.has(x.ns));
    if (h === undefined) return undefined;
    this.taken.set(h.ns, instanceId);
    return { hostId: h.ns, privateIp: h.ip, publicIp: h.ip };
  }

  boot(lease: HostLease, req: BootRequest): Promise<void> {
    const h = this.hostOf(lease);
    const keys = cloudInitKeys(req.userData);
    const honour = this.wrongHostKeys === 0;
    if (!honour) this.wrongHostKeys -= 1;
    this.boots.push({ instanceId: req.instanceId, host: h.ns, hostKeyHandedIn: honour && keys.hostKey !== undefined });
    const authorized = [...(req.publicKey === undefined ? [] : [req.publicKey]), ...keys.authorizedKeys].map((k) => `${k.trim()}\n`).join('');
    return this.serial(h, () => this.pool.boot(h, {
      authorizedKeys: authorized,
      ...(honour && keys.hostKey !== undefined ? { hostKey: keys.hostKey } : {}),
      ...(req.imdsEndpoint === undefined ? {} : { env: { AWS_EC2_METADATA_SERVICE_ENDPOINT: req.imdsEndpoint } }),
    }));
  }

  async release(lease: HostLease): Promise<void> {
    const h = this.hostOf(lease);
    await this.serial(h, () => this.pool.halt(h));
    this.taken.delete(h.ns);
  }

  private hostOf(lease: HostLease): TestHost {
    const h = this.hosts.find((x) => x.ns === lease.hostId);
    if (h === undefined) throw new Error(`sshd host pool: no host ${lease.hostId}`);
    return h;
  }

  private serial(h: TestHost, op: () => Promise<void>): Promise<void> {
    const next = (this.busy.get(h.ns) ?? Promise.resolve()).catch(() => undefined).then(op);
    this.busy.set(h.ns, next);
    return next;
  }
}

