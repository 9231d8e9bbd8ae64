// An AWS cluster as a user runs it, with nothing real of AWS: the fake EC2/IAM/STS/IMDS on the test bridge, its
// instances sshd test hosts, and the CLI in a network namespace of its own whose only link is the bridge, so the
// CLI, the head and the workers can reach the fake and nothing beyond this machine. Used by the end-to-end test
// and bench/aws.ts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { FakeAws, SshdHostPool, type FakeAwsOptions } from '../fakes/aws/index.js';
import { DUMMY_CREDENTIALS } from './aws-env.js';
import { TestCluster } from './cluster.js';
import { createHosts, type TestHost, type TestHostPool } from './hosts/hosts.js';

/** The bridge's own address: the fake listens here, where the CLI's namespace and every host reach it. */
export const BRIDGE_IP = '10.200.0.1';
export const BRIDGE_CIDR = '10.200.0.0/24';

export interface AwsTestBed {
  hosts: TestHostPool;
  /** the namespace the CLI runs in (a halted test host: nothing of its own runs there) */
  laptop: TestHost;
  pool: SshdHostPool;
  fake: FakeAws;
  /** the CLI's environment: dummy keys, empty AWS files, IMDS off, every AWS endpoint the fake */
  env: Record<string, string>;
  /** a cluster whose commands run in the laptop's namespace with `env` */
  cluster(name: string, yaml: string): TestCluster;
  close(): Promise<void>;
}

/** `instances` hosts for the fake to run instances on (head included), plus one for the CLI. */
export async function awsTestBed(instances: number, fakeOptions: Omit<FakeAwsOptions, 'host' | 'pool'> = {}): Promise<AwsTestBed> {
  const dir = mkdtempSync(join(tmpdir(), 'rl-aws-bed-'));
  const hosts = await createHosts(instances + 1, { halted: true });
  const [laptop, ...machines] = hosts.hosts as [TestHost, ...TestHost[]];
  const pool = new SshdHostPool(hosts, machines);
  let fake: FakeAws;
  try {
    fake = await FakeAws.start({ ...fakeOptions, host: BRIDGE_IP, pool });
  } catch (e) {
    await hosts.remove();
    throw e;
  }
  writeFileSync(join(dir, 'config'), '');
  writeFileSync(join(dir, 'credentials'), '');
  const env = {
    AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
    AWS_CONFIG_FILE: join(dir, 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL: fake.endpoint,
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
 * example-configs/aws-minimal.yaml as a user would adapt it for these hosts: `ssh_user: root` (the test hosts share
 * this machine's /etc), SSH allowed from the bridge, `workers` spot workers of the default type kept by
 * min_workers (so `up` asks for them all at once), the image left to raylaunch's lookup.
 */
export function awsConfigFor(name: string, workers: number): string {
  const doc = parseDocument(readFileSync(join(import.meta.dirname, '../../example-configs/aws-minimal.yaml'), 'utf8'));
  doc.set('cluster_name', name);
  doc.set('max_workers', workers);
  doc.setIn(['auth', 'ssh_user'], 'root');
  doc.setIn(['raylaunch', 'ssh_ingress_cidr'], BRIDGE_CIDR);
  doc.set('head_node_type', 'ray.head.default');
  doc.set('available_node_types', {
    'ray.head.default': { resources: {}, node_config: { InstanceType: 'm5.large' } },
    'ray.worker.default': { resources: {}, min_workers: workers, max_workers: workers, node_config: { InstanceType: 'm5.large', InstanceMarketOptions: { MarketType: 'spot' } } },
  });
  return doc.toString();
}
