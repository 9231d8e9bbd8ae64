// A GCP cluster as a user runs it, with nothing real of GCP (test/helpers/cloud-bed.ts): the fake Compute API, token
// endpoint and metadata server on the test bridge, its instances sshd test hosts. Used by the end-to-end test and
// bench/gcp.ts.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DUMMY_USER, FakeGcp, SshdHostPool, type FakeGcpOptions } from '../fakes/gcp/index.js';
import { BRIDGE_IP, cloudTestBed, exampleConfigFor, type CloudTestBed } from './cloud-bed.js';

/**
 * The CLI's environment: an empty HOME and CLOUDSDK_CONFIG, an authorized_user credential for the fake's dummy user
 * whose token endpoint is the fake's, the metadata server never probed, the Compute endpoint the fake.
 */
export type GcpTestBed = CloudTestBed<SshdHostPool, FakeGcp>;

/** `instances` hosts for the fake to run instances on (head included), plus one for the CLI. */
export function gcpTestBed(instances: number, fakeOptions: Omit<FakeGcpOptions, 'host' | 'pool' | 'metadata'> = {}): Promise<GcpTestBed> {
  return cloudTestBed(instances, {
    prefix: 'rl-gcp-bed-',
    pool: (hosts, machines) => new SshdHostPool(hosts, machines),
    start: (pool) => FakeGcp.start({ ...fakeOptions, host: BRIDGE_IP, pool }),
    env: (fake, dir) => {
      for (const d of ['home', 'gcloud']) mkdirSync(join(dir, d));
      const adc = join(dir, 'credentials.json');
      writeFileSync(adc, JSON.stringify({ type: 'authorized_user', client_id: DUMMY_USER.clientId, client_secret: DUMMY_USER.clientSecret, refresh_token: DUMMY_USER.refreshToken }), { mode: 0o600 });
      return {
        HOME: join(dir, 'home'),
        CLOUDSDK_CONFIG: join(dir, 'gcloud'),
        GOOGLE_APPLICATION_CREDENTIALS: adc,
        CLOUDSDK_AUTH_TOKEN_HOST: fake.tokenUrl,
        CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `${fake.endpoint}/compute/v1/`,
        // The CLI has explicit credentials: the metadata server is never probed, and a stray call finds a closed port.
        METADATA_SERVER_DETECTION: 'none',
        GCE_METADATA_HOST: '127.0.0.1:9',
      };
    },
  });
}

/** example-configs/gcp-minimal.yaml adapted for the test hosts (exampleConfigFor): the fake's project and region, Spot workers. */
export function gcpConfigFor(name: string, workers: number, project = 'fake-project'): string {
  return exampleConfigFor('gcp-minimal.yaml', name, workers, {
    head: ['ray_head_default', { machineType: 'e2-standard-2' }],
    worker: ['ray_worker_default', { machineType: 'e2-standard-2', scheduling: [{ provisioningModel: 'SPOT' }] }],
  }, (doc) => doc.set('provider', { type: 'gcp', region: 'us-central1', availability_zone: 'us-central1-a', project_id: project }));
}
