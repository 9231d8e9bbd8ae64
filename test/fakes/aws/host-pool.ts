// Where the fake's instances "run" (test/fakes/shared/host-pool.ts): what an instance is handed as it boots.
import * as shared from '../shared/host-pool.js';

export type { HostLease } from '../shared/host-pool.js';

/** What a booting instance is handed, as EC2 hands it to cloud-init. */
export interface BootRequest {
  instanceId: string;
  instanceType: string;
  /** RunInstances' UserData, base64 as sent (cloud-config or a MIME multi-part archive) */
  userData?: string;
  keyName?: string;
  /** the key pair's OpenSSH public key line, for the login user's authorized_keys */
  publicKey?: string;
  tags: Record<string, string>;
  /** the fake IMDS's endpoint, for a host to export as AWS_EC2_METADATA_SERVICE_ENDPOINT */
  imdsEndpoint?: string;
}

/** RunInstances launches at most free() instances (InsufficientInstanceCapacity beyond); take() gets the instance id. */
export type HostPool = shared.HostPool<BootRequest>;

/** Addresses only, for the fake's own tests: records what each boot was handed. */
export class InMemoryHostPool extends shared.InMemoryHostPool<BootRequest> {}
