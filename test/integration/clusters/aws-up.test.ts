// `raylaunch up` of an AWS config end to end, with nothing real of AWS: the fake EC2/IAM/STS/IMDS on the test
// bridge, each instance an sshd test host booted from its UserData, and the CLI in a network namespace whose only
// link is the bridge, with dummy keys, empty AWS files and IMDS off. The head reaches the fake's IMDS through the
// endpoint its host's sshd sets (as an image would), and the fake's API through the endpoint variables raylaunch
// passes on. One cluster, reused by the `it`s in order; the last ones start it again with a faulty host.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'mocha';
import { fingerprint, parsePublicKey } from '../../../src/updater/known-hosts.js';
import type { CallRecord } from '../../fakes/aws/index.js';
import { awsConfigFor, awsTestBed, type AwsTestBed } from '../../helpers/aws-cluster.js';
import { DUMMY_CREDENTIALS, isolateAwsEnv } from '../../helpers/aws-env.js';
import { assertConfinedToBridge, servedHostKey, tearDown } from '../../helpers/cloud-bed.js';
import type { TestCluster } from '../../helpers/cluster.js';
import { testHostsOrFail } from '../../helpers/needs-hosts.js';

const NAME = 'e2e';
/** The figure: a scale-up from 0 to 10 workers asked for at once (min_workers) is one RunInstances. */
const WORKERS = 10;
const ROLE = `raylaunch-head-${NAME}`;
const HOST_KEY_TAG = 'raylaunch-host-key';
const BOOT_MS = 2000;

describe('raylaunch up of an AWS config against the fake AWS, the CLI confined to the test bridge', function () {
  this.timeout(240_000);
  if (!testHostsOrFail()) return;
  let restoreEnv: () => void;
  let bed: AwsTestBed;
  let cluster: TestCluster;

  const calls = (action?: string): CallRecord[] => bed.fake.callsOf(action);
  const byCli = (c: CallRecord) => c.accessKeyId === DUMMY_CREDENTIALS.accessKeyId;
  const instances = () => [...bed.fake.cloud.instances.values()];
  const tag = (id: string, key: string) => bed.fake.cloud.tagsOf(id).get(key);
  const fingerprintOf = (line: string) => fingerprint(parsePublicKey(line));
  /** Everything `down` must leave: no instance but terminated ones, no group, key pair, role or profile, no host in use. */
  const assertNothingLeft = () => {
    assert.deepEqual(instances().filter((i) => i.state !== 'terminated').map((i) => `${i.id} ${i.state}`), []);
    assert.deepEqual([...bed.fake.cloud.groups.values()].filter((g) => g.name !== 'default').map((g) => g.name), []);
    assert.deepEqual([...bed.fake.cloud.keyPairs.values()].map((k) => k.name), []);
    assert.deepEqual([...bed.fake.cloud.roles.keys(), ...bed.fake.cloud.profiles.keys()], []);
    assert.equal(bed.pool.free(), WORKERS + 1, 'every host handed back');
  };

  before(async () => {
    restoreEnv = isolateAwsEnv();
    // Instances pending for a while, as on EC2: nothing may reach a node before it runs and has its address.
    bed = await awsTestBed(WORKERS + 1, { bootDelayMs: BOOT_MS });
    cluster = bed.cluster(NAME, awsConfigFor(NAME, WORKERS));
  });
  after(() => tearDown(cluster, bed, restoreEnv));

  it('the CLI\'s namespace reaches the fake on the bridge and nothing else', async () => {
    await assertConfinedToBridge(bed);
  });

  it('up creates the key pair, security group and head role with the CLI\'s keys, and sets the head up over SSH with the host key it handed in', async () => {
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 180_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    for (const line of [/^key pair raylaunch-e2e-\w+ imported$/m, /^security group raylaunch-e2e \(sg-\w+\) created/m, /SSH from 10\.200\.0\.0\/24 only/,
      /^image ami-\w+: the newest Ubuntu/m, /^head role and instance profile raylaunch-head-e2e created/m]) assert.match(r.stderr, line);
    const [head, ...others] = instances().filter((i) => tag(i.id, 'raylaunch-node-kind') === 'head');
    assert.ok(head && others.length === 0);
    assert.equal(head.profileName, ROLE);
    // The head goes by its instance id, as its workers do, at its private address.
    assert.match(r.stdout, new RegExp(`cluster e2e is up \\(aws provider\\)\\n {2}head {7}${head.id} at ${head.privateIp?.replace(/\./g, '\\.')}:`));
    // The key the host serves is the one raylaunch put in its UserData, and the one the CLI pinned.
    const pinned = tag(head.id, HOST_KEY_TAG) ?? '';
    assert.equal(await servedHostKey(head.privateIp ?? ''), pinned);
    const knownHosts = readFileSync(join(cluster.home, 'clusters', NAME, 'known_hosts'), 'utf8');
    assert.ok(knownHosts.includes(pinned.split(' ')[1] ?? '-'), knownHosts);
    assert.deepEqual(calls('RunInstances').filter(byCli).length, 1, 'the CLI launches the head only');
    assert.deepEqual(calls().filter((c) => c.seq < (calls('RunInstances')[0]?.seq ?? 0)).filter((c) => !byCli(c)), [], 'everything before the head is the CLI\'s');
  });

  it(`the head's autoscaler launches all ${WORKERS} min_workers in one RunInstances, signed with its instance profile's keys, and they join`, async () => {
    const workerRuns = calls('RunInstances').filter((c) => !byCli(c));
    assert.equal(workerRuns.length, 1, JSON.stringify(workerRuns.map((c) => c.params)));
    const [run1] = workerRuns;
    assert.match(run1?.accessKeyId ?? '', /^ASIA/);
    assert.equal(run1?.roleName, ROLE);
    assert.equal(run1?.status, 200);
    assert.equal(run1?.params.MaxCount, String(WORKERS));
    // The head never held the CLI's keys: every call it made was signed by its role (the policy held it to it).
    assert.deepEqual(calls().filter((c) => c.roleName !== undefined && byCli(c)), []);
    assert.deepEqual(calls().filter((c) => c.roleName !== undefined && c.roleName !== ROLE), []);
    const status = await cluster.status();
    const workers = status.nodes.filter((n) => n.kind === 'worker' && n.state === 'ALIVE');
    assert.equal(workers.length, WORKERS);
    const workerIds = instances().filter((i) => tag(i.id, 'raylaunch-node-kind') === 'worker').map((i) => i.id).sort();
    assert.deepEqual(workers.map((n) => n.node_id).sort(), workerIds);
    // The head is named like its workers: by its instance id, not its address.
    const headIds = instances().filter((i) => tag(i.id, 'raylaunch-node-kind') === 'head').map((i) => i.id);
    assert.deepEqual(status.nodes.filter((n) => n.kind === 'head').map((n) => n.node_id), headIds);
  });

  it('a job runs on the workers (the head, CPU: 0 on clouds, runs none of its tasks)', async () => {
    const r = await cluster.submitFixture('local-cluster/where.ts', ['--', '200', String(2 * WORKERS)]);
    assert.equal(r.code, 0, r.stderr);
    const nodes = /nodes: (.*)/.exec(r.stdout)?.[1]?.split(',') ?? [];
    assert.ok(nodes.length >= 2, `tasks ran on ${nodes.join(', ')}`);
    const workerIds = new Set(instances().filter((i) => tag(i.id, 'raylaunch-node-kind') === 'worker').map((i) => i.id));
    for (const n of nodes) assert.ok(workerIds.has(n), `${n} is not a worker`);
  });

  it('down terminates the workers, then the head, deletes the security group, key pair, role and profile, and the fake holds nothing else', async () => {
    const r = await cluster.cli(['down', '-c', NAME, '-y'], 120_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stderr, new RegExp(`terminated ${WORKERS} worker instances[^]*terminated 1 head instance`));
    await bed.fake.idle();
    assertNothingLeft();
    const terminations = calls('TerminateInstances');
    assert.ok(terminations.every(byCli), 'down terminates with the CLI\'s keys');
  });

  it('up refuses a head whose host serves another key than the one handed in, showing both fingerprints; down leaves nothing', async () => {
    bed.pool.wrongHostKeys = 1;
    const r = await cluster.cli(['up', cluster.configFile, '-y', '--log-style', 'plain'], 180_000);
    assert.notEqual(r.code, 0, r.stdout);
    const head = instances().find((i) => i.state !== 'terminated' && tag(i.id, 'raylaunch-node-kind') === 'head');
    assert.ok(head);
    const expected = fingerprintOf(tag(head.id, HOST_KEY_TAG) ?? '');
    const offered = fingerprintOf(await servedHostKey(head.privateIp ?? ''));
    assert.notEqual(expected, offered);
    assert.ok(r.stderr.includes(`expected ${expected}, offered ${offered}`), r.stderr);
    assert.equal(calls('RunInstances').filter((c) => !byCli(c)).length, 1, 'no head service started: no worker launched');
    const d = await cluster.cli(['down', '-c', NAME, '-y'], 120_000);
    assert.equal(d.code, 0, `${d.stdout}\n${d.stderr}`);
    await bed.fake.idle();
    assertNothingLeft();
  });
});
