// A wire-faithful fake of the Compute Engine REST API, Google's OAuth token endpoint and the GCE metadata server
// for raylaunch's GCP tests: the real @google-cloud/compute and google-auth-library talk to it.
export { FakeGcp, DUMMY_USER, type CallRecord, type FakeGcpOptions } from './server.js';
export { ManualClock } from '../shared/clock.js';
export { InMemoryHostPool, newEd25519HostKey, type BootRequest, type HostKey, type HostLease, type HostPool } from './host-pool.js';
export type { InjectedFailure } from './faults.js';
export type { ServiceAccountKeyFile } from './jwt.js';
export { parseFilter } from './filter.js';
export { SshdHostPool, authorizedKeysFor } from './sshd-pool.js';
