// A GCP cluster as a user runs it, with nothing real of GCP: the fake Compute API, token endpoint and metadata
// server on the test bridge, its instances sshd test hosts, and the CLI in a network namespace of its own whose
// only link is the bridge, so the CLI, the head and the workers reach the fake and nothing beyond this machine.
// Used by the end-to-end test and bench/gcp.ts.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { DUMMY_USER, FakeGcp, SshdHostPool, type FakeGcpOptions } from '../fakes/gcp/index.js';
import { BRIDGE_CIDR, BRIDGE_IP } from './aws-cluster.js';
import { TestCluster } from './cluster.js';
import { createHosts, type TestHost, type TestHostPool } from './hosts/hosts.js';

export interface GcpTestBed {
  hosts: TestHostPool;
  /** the namespace the CLI runs in (a halted test host: nothing of its own runs there) */
  laptop: TestHost;
  pool: SshdHostPool;
  fake: FakeGcp;
  /**
   * the CLI's environment: an empty HOME and CLOUDSDK_CONFIG, an authorized_user credential for the fake's dummy
   * user whose token endpoint is the fake's, the metadata server never probed, the Compute endpoint the fake
   */
  env: Record<string, string>;
  /** a cluster whose commands run in the laptop's namespace with `env` */
  cluster(name: string, yaml: string): TestCluster;
  close(): Promise<void>;
}

/** `instances` hosts for the fake to run instances on (head included), plus one for the CLI. */
export async function gcpTestBed(instances: number, fakeOptions: Omit<FakeGcpOptions, 'host' | 'pool' | 'metadata'> = {}): Promise<GcpTestBed> {
  const dir = mkdtempSync(join(tmpdir(), 'rl-gcp-bed-'));
  const hosts = await createHosts(instances + 1, { halted: true });
  const [laptop, ...machines] = hosts.hosts as [TestHost, ...TestHost[]];
  const pool = new SshdHostPool(hosts, machines);
  let fake: FakeGcp;
  try {
    fake = await FakeGcp.start({ ...fakeOptions, host: BRIDGE_IP, pool });
  } catch (e) {
    await hosts.remove();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  for (const d of ['home', 'gcloud']) mkdirSync(join(dir, d));
  const adc = join(dir, 'credentials.json');
  writeFileSync(adc, JSON.stringify({ type: 'authorized_user', client_id: DUMMY_USER.clientId, client_secret: DUMMY_USER.clientSecret, refresh_token: DUMMY_USER.refreshToken }), { mode: 0o600 });
  const env = {
    HOME: join(dir, 'home'),
    CLOUDSDK_CONFIG: join(dir, 'gcloud'),
    GOOGLE_APPLICATION_CREDENTIALS: adc,
    CLOUDSDK_AUTH_TOKEN_HOST: fake.tokenUrl,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: `${fake.endpoint}/compute/v1/`,
    // The CLI has explicit credentials: the metadata server is never probed, and a stray call finds a closed port.
    METADATA_SERVER_DETECTION: 'none',
    GCE_METADATA_HOST: '127.0.0.1:9',
  };
  return {
    hosts, laptop, pool, fake, env,
    cluster: (name, yaml) => new TestCluster(name, yaml, {}, { env, netns: laptop.ns }),
    close: async () => {
      try {
        await fake.close();
      } finally {
        await hosts.remove();
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * example-configs/gcp-minimal.yaml as a user would adapt it for these hosts: the fake's project and region,
 * `ssh_user: root` (the test hosts share this machine's /etc), SSH allowed from the bridge, `workers` Spot workers
 * of one type kept by min_workers (so `up` asks for them all at once), the image left to raylaunch's lookup.
 */
export function gcpConfigFor(name: string, workers: number, project = 'fake-project'): string {
  const doc = parseDocument(readFileSync(join(import.meta.dirname, '../../example-configs/gcp-minimal.yaml'), 'utf8'));
  doc.set('cluster_name', name);
  doc.set('max_workers', workers);
  doc.set('provider', { type: 'gcp', region: 'us-central1', availability_zone: 'us-central1-a', project_id: project });
  doc.setIn(['auth', 'ssh_user'], 'root');
  doc.setIn(['raylaunch', 'ssh_ingress_cidr'], BRIDGE_CIDR);
  doc.set('head_node_type', 'ray_head_default');
  doc.set('available_node_types', {
    ray_head_default: { resources: {}, node_config: { machineType: 'e2-standard-2' } },
    ray_worker_default: { resources: {}, min_workers: workers, max_workers: workers, node_config: { machineType: 'e2-standard-2', scheduling: [{ provisioningModel: 'SPOT' }] } },
  });
  return doc.toString();
}
