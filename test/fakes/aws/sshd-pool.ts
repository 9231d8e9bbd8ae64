// Instances that are real machines: each instance the fake runs is a test host (a network namespace on the test
// bridge with its own sshd), booted with what cloud-init would apply from the launch (the host key from UserData's
// `ssh_keys`, the key pair in root's authorized_keys) and the IMDS endpoint an image would point its SDK at.
import { SshdHostLeases } from '../shared/host-pool.js';
import { cloudInitKeys } from './cloud-init.js';
import type { BootRequest, HostLease, HostPool } from './host-pool.js';

export class SshdHostPool extends SshdHostLeases<BootRequest> implements HostPool {
  /** Boots still to come that ignore the host key they are handed and serve one of their own (a fault). */
  wrongHostKeys = 0;
  readonly boots: { instanceId: string; host: string; hostKeyHandedIn: boolean }[] = [];

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
}
