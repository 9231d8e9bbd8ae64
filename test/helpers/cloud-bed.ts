// A cloud cluster as a user runs it, with nothing real of the cloud: a fake cloud on the test bridge, its instances
// sshd test hosts, and the CLI in a network namespace of its own whose only link is the bridge, so the CLI, the head
// and the workers reach the fake and nothing beyond this machine. What is the cloud's own (which fake, what the
// CLI's environment holds, the example config) is in aws-cluster.ts and gcp-cluster.ts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { TestCluster } from './cluster.js';
import { createHosts, type TestHost, type TestHostPool } from './hosts/hosts.js';
import { run } from './hosts/system.js';

/** The bridge's own address: the fake listens here, where the CLI's namespace and every host reach it. */
export const BRIDGE_IP = '10.200.0.1';
export const BRIDGE_CIDR = '10.200.0.0/24';

export interface CloudTestBed<Pool, Fake> {
  hosts: TestHostPool;
  /** the namespace the CLI runs in (a halted test host: nothing of its own runs there) */
  laptop: TestHost;
  pool: Pool;
  fake: Fake;
  /** the CLI's environment: dummy credentials, no file of this machine's, every endpoint the fake's */
  env: Record<string, string>;
  /** a cluster whose commands run in the laptop's namespace with `env` */
  cluster(name: string, yaml: string): TestCluster;
  close(): Promise<void>;
}

export interface CloudBedParts<Pool, Fake> {
  /** the folder name's prefix under the system's temporary folder */
  prefix: string;
  /** the fake's host pool over the hosts that run instances */
  pool(hosts: TestHostPool, machines: TestHost[]): Pool;
  /** starts the fake on BRIDGE_IP with that pool */
  start(pool: Pool): Promise<Fake>;
  /** writes what the CLI's environment names into `dir` and returns that environment */
  env(fake: Fake, dir: string): Record<string, string>;
}

/** `instances` hosts for the fake to run instances on (head included), plus one for the CLI. */
export async function cloudTestBed<Pool, Fake extends { close(): Promise<void> }>(instances: number, parts: CloudBedParts<Pool, Fake>): Promise<CloudTestBed<Pool, Fake>> {
  const dir = mkdtempSync(join(tmpdir(), parts.prefix));
  const hosts = await createHosts(instances + 1, { halted: true });
  const [laptop, ...machines] = hosts.hosts as [TestHost, ...TestHost[]];
  const pool = parts.pool(hosts, machines);
  let fake: Fake;
  try {
    fake = await parts.start(pool);
  } catch (e) {
    await hosts.remove();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const env = parts.env(fake, dir);
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
 * An example config as a user would adapt it for these hosts: `ssh_user: root` (the test hosts share this machine's
 * /etc), SSH allowed from the bridge, a head type and `workers` workers of one type kept by min_workers (so `up`
 * asks for them all at once), the image left to raylaunch's lookup; `edit` sets what else the cloud needs.
 */
export function exampleConfigFor(example: string, name: string, workers: number, types: { head: [string, object]; worker: [string, object] }, edit: (doc: ReturnType<typeof parseDocument>) => void = () => undefined): string {
  const doc = parseDocument(readFileSync(join(import.meta.dirname, '../../example-configs', example), 'utf8'));
  doc.set('cluster_name', name);
  doc.set('max_workers', workers);
  edit(doc);
  doc.setIn(['auth', 'ssh_user'], 'root');
  doc.setIn(['raylaunch', 'ssh_ingress_cidr'], BRIDGE_CIDR);
  doc.set('head_node_type', types.head[0]);
  doc.set('available_node_types', {
    [types.head[0]]: { resources: {}, node_config: types.head[1] },
    [types.worker[0]]: { resources: {}, min_workers: workers, max_workers: workers, node_config: types.worker[1] },
  });
  return doc.toString();
}

/** The CLI's namespace has no default route (nothing beyond the bridge), and the fake's API is on the bridge. */
export async function assertConfinedToBridge(bed: CloudTestBed<unknown, { endpoint: string }>): Promise<void> {
  const routes = await run('ip', ['-n', bed.laptop.ns, 'route', 'show', 'default']);
  assert.equal(routes.code, 0, routes.stderr);
  assert.equal(routes.stdout.trim(), '', `no default route: nothing beyond ${BRIDGE_CIDR}`);
  assert.match(bed.fake.endpoint, /^http:\/\/10\.200\.0\.1:\d+$/);
}

/** The ed25519 key a host serves, as `ssh-ed25519 AAAA…`. */
export async function servedHostKey(ip: string): Promise<string> {
  const r = await run('ssh-keyscan', ['-t', 'ed25519', '-T', '5', ip]);
  return r.stdout.split('\n').find((l) => l.startsWith(`${ip} `))?.split(' ').slice(1, 3).join(' ') ?? assert.fail(`no key from ${ip}: ${r.stderr}`);
}

/** An end-to-end suite's `after`: the cluster stopped, then the bed closed and the environment restored, whatever failed. */
export async function tearDown(cluster: TestCluster | undefined, bed: { close(): Promise<void> } | undefined, restoreEnv: (() => void) | undefined): Promise<void> {
  try {
    await cluster?.stop();
  } finally {
    await bed?.close();
    restoreEnv?.();
  }
}
