// Where the fake's instances "run". The in-memory pool below only hands out addresses; a pool of sshd test hosts
// (test/helpers/hosts) implements the same interface to apply what boot() is told and start a real sshd.

/** A host taken for one instance. */
export interface HostLease {
  /** the pool's own name for the host */
  hostId: string;
  /** the instance's private address, and the source address its IMDS calls come from */
  privateIp: string;
  /** what the instance reports as its public address once it runs */
  publicIp: string;
}

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

export interface HostPool {
  /** How many hosts are free now: RunInstances launches no more than this (InsufficientInstanceCapacity). */
  free(): number;
  /** Takes a free host for the instance (a launch, or a start of a stopped one); undefined when none is free. */
  take(instanceId: string): HostLease | undefined;
  /** The instance reached running: apply what it is handed, start its services. */
  boot(lease: HostLease, req: BootRequest): Promise<void>;
  /** The instance stops or terminates: end everything on the host and hand it back. */
  release(lease: HostLease): Promise<void>;
}

/** Addresses only, for the fake's own tests: records what each boot was handed. */
export class InMemoryHostPool implements HostPool {
  private readonly taken = new Map<string, string>();
  readonly boots: BootRequest[] = [];
  readonly released: string[] = [];

  /** @param addresses one per host; loopback ones (127.0.0.N) let a test call IMDS as that instance */
  constructor(private readonly addresses: string[]) {}

  free(): number {
    return this.addresses.length - this.taken.size;
  }

  take(instanceId: string): HostLease | undefined {
    const ip = this.addresses.find((a) => !this.taken.has(a));
    if (ip === undefined) return undefined;
    this.taken.set(ip, instanceId);
    return { hostId: ip, privateIp: ip, publicIp: ip };
  }

  async boot(_lease: HostLease, req: BootRequest): Promise<void> {
    this.boots.push(req);
  }

  async release(lease: HostLease): Promise<void> {
    this.taken.delete(lease.hostId);
    this.released.push(lease.hostId);
  }
}
