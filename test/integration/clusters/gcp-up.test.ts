// `raylaunch up` of a GCP config end to end, with nothing real of GCP: the fake Compute API, token endpoint and
// metadata server on the test bridge, each instance an sshd test host booted from its `ssh-keys` metadata, and the
// CLI in a network namespace whose only link is the bridge, with an empty HOME and CLOUDSDK_CONFIG and explicit
// dummy credentials whose token endpoint is the fake's. The head reaches the fake's metadata server through the
// GCE_METADATA_HOST its host's sshd sets (as an image would), and the fake's API through the endpoint variable
// raylaunch passes on. One cluster, reused by the `it`s in order; the last one starts it again with a host whose
// guest attributes report another key than it serves.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { networkTag } from '../../../providers/gcp/names.js';
import { CLUSTER_NAME_TAG } from '../../../providers/provider.js';
import { fingerprint, parsePublicKey } from '../../../src/updater/known-hosts.js';
import { DUMMY_USER, type CallRecord } from '../../fakes/gcp/index.js';
import { assertConfinedToBridge, servedHostKey, tearDown } from '../../helpers/cloud-bed.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { gcpConfigFor, gcpTestBed, type GcpTestBed } from '../../helpers/gcp-cluster.js';
import { isolateGcpEnv } from '../../helpers/gcp-env.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

const NAME = 'e2e';
/** The figure: a scale-up from 0 to 10 workers asked for at once (min_workers) is one bulkInsert. */
const WORKERS = 10;
const KIND = 'raylaunch-node-kind';
const BOOT_MS = 2000;

describe('raylaunch up of a GCP config against the fake GCP, the CLI confined to the test bridge', function () {
  this.timeout(240_000);
  if (!testHostsOrFail()) return;
  let restoreEnv: () => void;
  let bed: GcpTestBed;
  let cluster: TestCluster;

  const calls = (method?: string): CallRecord[] => bed.fake.callsOf(method);
  const byCli = (c: CallRecord) => c.principal === DUMMY_USER.email;
  const headAccount = () => `${bed.fake.cloud.opts.projectNumber}-compute@developer.gserviceaccount.com`;
  const instances = () => [...bed.fake.cloud.instances.values()];
  const ofKind = (kind: string) => instances().filter((i) => i.labels[KIND] === kind);
  const fingerprintOf = (line: string) => fingerprint(parsePublicKey(line));
  /** Everything `down` must leave: no instance or firewall rule of the cluster, every host handed back. */
  const assertNothingLeft = () => {
    assert.deepEqual(instances().filter((i) => i.labels[CLUSTER_NAME_TAG] === NAME).map((i) => `${i.name} ${i.status}`), []);
    assert.deepEqual([...bed.fake.cloud.firewalls.values()].filter((f) => f.targetTags.includes(networkTag(NAME))).map((f) => f.name), []);
    assert.equal(bed.pool.free(), WORKERS + 1, 'every host handed back');
  };

  before(async () => {
    restoreEnv = isolateGcpEnv();
    // Instances PROVISIONING for a while, as on GCE: nothing may reach a node before it runs and has its keys out.
    bed = await gcpTestBed(WORKERS + 1, { bootDelayMs: BOOT_MS });
    cluster = bed.cluster(NAME, gcpConfigFor(NAME, WORKERS, bed.fake.project));
  });
  after(() => tearDown(cluster, bed, restoreEnv));

  it('the CLI\'s namespace reaches the fake on the bridge and nothing else', async () => {
    await assertConfinedToBridge(bed);
    assert.match(bed.fake.metadataHost, /^10\.200\.0\.1:\d+$/);
  });

  it('up creates the firewall rules and the head with the user\'s token, and sets the head up over SSH with the host key from its guest attributes pinned', async () => {
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 180_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    const rules = [...bed.fake.cloud.firewalls.values()].filter((f) => f.targetTags.includes(networkTag(NAME)));
    assert.ok(rules.length > 0, 'firewall rules on the cluster\'s network tag');
    assert.ok(rules.every((f) => !f.sourceRanges.includes('0.0.0.0/0')), JSON.stringify(rules));
    const [head, ...others] = ofKind('head');
    assert.ok(head && others.length === 0);
    assert.match(r.stdout, /cluster e2e is up \(gcp provider\)/);
    // The key the host serves is the one its guest attributes published, and the one the CLI pinned.
    const [boot] = bed.pool.boots.filter((b) => b.name === head.name);
    const ip = head.networkIP ?? '';
    assert.equal(await servedHostKey(ip), boot?.servedKey);
    assert.equal(boot?.reportedKey, boot?.servedKey);
    const knownHosts = readFileSync(join(cluster.home, 'clusters', NAME, 'known_hosts'), 'utf8');
    assert.ok(knownHosts.includes(boot?.servedKey.split(' ')[1] ?? '-'), knownHosts);
    assert.ok(calls('instances.getGuestAttributes').some(byCli), 'the CLI read the head\'s host key from its guest attributes');
    assert.equal(calls('instances.bulkInsert').filter(byCli).length, 1, 'the CLI launches the head only');
    const firstLaunch = calls('instances.bulkInsert')[0]?.seq ?? 0;
    assert.deepEqual(calls().filter((c) => c.seq < firstLaunch && c.method !== 'oauth2.token' && !byCli(c)), [], 'everything before the head is the CLI\'s');
  });

  it(`the head's autoscaler launches all ${WORKERS} min_workers in one bulkInsert with its service account's token from the metadata server, and they join`, async () => {
    const workerRuns = calls('instances.bulkInsert').filter((c) => !byCli(c));
    assert.equal(workerRuns.length, 1, JSON.stringify(workerRuns.map((c) => c.body)));
    const [run1] = workerRuns;
    assert.equal(run1?.principal, headAccount());
    assert.equal(run1?.status, 200);
    assert.equal((run1?.body as { count?: string | number }).count?.toString(), String(WORKERS));
    // Every call not the CLI's is the head's service account's: the head never held the user's credential.
    assert.deepEqual(calls().filter((c) => c.principal !== undefined && !byCli(c) && c.principal !== headAccount()).map((c) => c.principal), []);
    const status = await cluster.status();
    const workers = status.nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE');
    assert.equal(workers.length, WORKERS);
    assert.equal(ofKind('worker').filter((i) => i.status === 'RUNNING').length, WORKERS);
    // The head pinned each worker's key from its guest attributes before connecting.
    assert.ok(calls('instances.getGuestAttributes').filter((c) => c.principal === headAccount()).length >= WORKERS);
  });

  it('a job runs on the workers (the head, CPU: 0 on clouds, runs none of its tasks)', async () => {
    const r = await cluster.submitFixture('local-cluster/where.ts', ['--', '200', String(2 * WORKERS)]);
    assert.equal(r.code, 0, r.stderr);
    const nodes = /nodes: (.*)/.exec(r.stdout)?.[1]?.split(',') ?? [];
    assert.ok(nodes.length >= 2, `tasks ran on ${nodes.join(', ')}`);
    const status = await cluster.status();
    const workerIds = new Set(status.nodes.filter((n) => n.kind === 'worker').map((n) => n.node_id));
    for (const n of nodes) assert.ok(workerIds.has(n), `${n} is not a worker`);
  });

  it('down deletes the workers, then the head, then the firewall rules, and the fake holds nothing of the cluster', async () => {
    const r = await cluster.cli(['down', '-c', NAME, '-y'], 120_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    await bed.fake.idle();
    assertNothingLeft();
    assert.ok(calls('instances.delete').length > 0 && calls('instances.delete').every(byCli), 'down deletes with the CLI\'s credential');
  });

  it('up refuses a head whose guest attributes report another key than its host serves, showing both fingerprints; down leaves nothing', async () => {
    bed.pool.wrongHostKeys = 1;
    const launchesBefore = calls('instances.bulkInsert').length;
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 180_000);
    assert.notEqual(r.code, 0, r.stdout);
    const head = ofKind('head').find((i) => i.status === 'RUNNING');
    assert.ok(head);
    const boot = bed.pool.boots.filter((b) => b.name === head.name).at(-1);
    assert.ok(boot && boot.reportedKey !== boot.servedKey);
    const expected = fingerprintOf(boot.reportedKey);
    const offered = fingerprintOf(await servedHostKey(head.networkIP ?? ''));
    assert.equal(offered, fingerprintOf(boot.servedKey));
    assert.ok(r.stderr.includes(`expected ${expected}, offered ${offered}`), r.stderr);
    assert.equal(calls('instances.bulkInsert').length, launchesBefore + 1, 'no head service started: no worker launched');
    const d = await cluster.cli(['down', '-c', NAME, '-y'], 120_000);
    assert.equal(d.code, 0, `${d.stdout}\n${d.stderr}`);
    await bed.fake.idle();
    assertNothingLeft();
  });
});
