// Where the fake's instances "run" (test/fakes/shared/host-pool.ts): what an instance is handed as it boots, and
// the host keys its guest agent publishes; the in-memory pool makes one per host.
import { generateKeyPairSync } from 'node:crypto';
import * as shared from '../shared/host-pool.js';
import type { HostLease } from '../shared/host-pool.js';

export type { HostLease } from '../shared/host-pool.js';

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

/** An insert starts at most free() instances (ZONE_RESOURCE_POOL_EXHAUSTED beyond); take() gets the instance name. */
export interface HostPool extends shared.HostPool<BootRequest> {
  /** The host's own SSH host keys, which the guest agent publishes in guest attributes. */
  hostKeys(lease: HostLease): HostKey[];
}

/** An OpenSSH ed25519 public key blob (base64 of the wire encoding) for a fresh key pair. */
export function newEd25519HostKey(): HostKey {
  const jwk = generateKeyPairSync('ed25519').publicKey.export({ format: 'jwk' });
  const raw = Buffer.from(jwk.x ?? '', 'base64url');
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return { keyType: 'ssh-ed25519', key: Buffer.concat([str(Buffer.from('ssh-ed25519')), str(raw)]).toString('base64') };
}

/** Addresses only, for the fake's own tests: records what each boot was handed; one host key per host. */
export class InMemoryHostPool extends shared.InMemoryHostPool<BootRequest> implements HostPool {
  private readonly keys = new Map<string, HostKey>();

  hostKeys(lease: HostLease): HostKey[] {
    let k = this.keys.get(lease.hostId);
    if (k === undefined) {
      k = newEd25519HostKey();
      this.keys.set(lease.hostId, k);
    }
    return [k];
  }
}
