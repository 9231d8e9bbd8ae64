// Where the fake's instances "run". The in-memory pool below hands out addresses and host keys; a pool of sshd
// test hosts (test/helpers/hosts) implements the same interface to apply the ssh-keys metadata and start sshd.
import { generateKeyPairSync } from 'node:crypto';

/** A host taken for one instance. */
export interface HostLease {
  hostId: string;
  /** the instance's networkIP, and the source address its metadata server calls come from */
  privateIp: string;
  /** its external (NAT) address while it runs, when it has an access config */
  publicIp: string;
}

/** A public host key as the guest agent publishes it: `hostkeys/<keyType>` = the base64 key blob. */
export interface HostKey {
  keyType: string;
  key: string;
}

/** What a booting instance is handed, as GCE hands it to the guest agent. */
export interface BootRequest {
  name: string;
  zone: string;
  machineType: string;
  /** instance metadata merged over project metadata (ssh-keys, startup-script, enable-guest-attributes, …) */
  metadata: Record<string, string>;
  /** the `ssh-keys` entries (`user:ssh-ed25519 AAAA… comment`), instance and project ones together */
  sshKeys: string[];
  labels: Record<string, string>;
  serviceAccount?: string;
  /** host:port of the fake metadata server, for the host to export as GCE_METADATA_HOST */
  metadataHost?: string;
}

export interface HostPool {
  /** How many hosts are free now: an insert starts no more than this (ZONE_RESOURCE_POOL_EXHAUSTED). */
  free(): number;
  /** Takes a free host for the instance (an insert, or a start of a stopped one); undefined when none is free. */
  take(instanceName: string): HostLease | undefined;
  /** The instance reaches RUNNING: apply what it is handed, start its services. */
  boot(lease: HostLease, req: BootRequest): Promise<void>;
  /** The host's own SSH host keys, which the guest agent publishes in guest attributes. */
  hostKeys(lease: HostLease): HostKey[];
  /** The instance stops, suspends or is deleted: end everything on the host and hand it back. */
  release(lease: HostLease): Promise<void>;
}

/** An OpenSSH ed25519 public key blob (base64 of the wire encoding) for a fresh key pair. */
export function newEd25519HostKey(): HostKey {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return { keyType: 'ssh-ed25519', key: Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64') };
}

/** Addresses only, for the fake's own tests: records what each boot was handed. */
export class InMemoryHostPool implements HostPool {
  private readonly taken = new Map<string, string>();
  private readonly keys = new Map<string, HostKey>();
  readonly boots: BootRequest[] = [];
  readonly released: string[] = [];

  /** @param addresses one per host; 127.0.0.1 (or any loopback address) lets a test call the metadata server as it */
  constructor(private readonly addresses: string[]) {}

  free(): number {
    return this.addresses.length - this.taken.size;
  }

  take(instanceName: string): HostLease | undefined {
    const ip = this.addresses.find((a) => !this.taken.has(a));
    if (ip === undefined) return undefined;
    this.taken.set(ip, instanceName);
    return { hostId: ip, privateIp: ip, publicIp: ip };
  }

  async boot(_lease: HostLease, req: BootRequest): Promise<void> {
    this.boots.push(req);
  }

  hostKeys(lease: HostLease): HostKey[] {
    let k = this.keys.get(lease.hostId);
    if (k === undefined) {
      k = newEd25519HostKey();
      this.keys.set(lease.hostId, k);
    }
    return [k];
  }

  async release(lease: HostLease): Promise<void> {
    this.taken.delete(lease.hostId);
    this.released.push(lease.hostId);
  }
}
