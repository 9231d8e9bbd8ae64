// A wire-faithful fake of EC2, IAM, STS and IMDS for raylaunch's AWS tests: the real SDK talks to it.
export { FakeAws, type CallRecord, type FakeAwsOptions } from './server.js';
export { ManualClock } from '../shared/clock.js';
export { InMemoryHostPool, type BootRequest, type HostLease, type HostPool } from './host-pool.js';
export type { InjectedFault } from './faults.js';
export type { TransitionEvent } from './cloud.js';
export { SshdHostPool } from './sshd-pool.js';
