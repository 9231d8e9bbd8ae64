// The AWS provider through the real SDK against the fake AWS on loopback: loaded as `up` loads it (lazy import,
// the SDK's default credential chain from dummy keys, AWS_ENDPOINT_URL pointing at the fake), each fault injected.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { createProvider } from '../../../providers/index.js';
import type { AwsProvider } from '../../../providers/aws/index.js';
import { headPolicy } from '../../../providers/aws/policy.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import type { ClusterConfig } from '../../../src/config/types.js';
import { FakeAws, InMemoryHostPool } from '../../fakes/aws/index.js';
import { DUMMY_CREDENTIALS, isolateAwsEnv } from '../../helpers/aws-env.js';

// The provider is imported dynamically (as `up` loads it), so its error classes are another module instance than a
// static import here would give: errors are told apart by name, as the CLI's output does.
const isError = (name: string, check: (e: Error & { reason?: string; hint?: string }) => boolean = () => true) =>
  (e: unknown) => e instanceof Error && e.name === name && check(e as Error & { reason?: string; hint?: string });

const config = (over: Record<string, unknown> = {}): ClusterConfig => applyDefaults({
  cluster_name: 'rl-aws', max_workers: 20,
  provider: { type: 'aws', region: 'us-west-2', availability_zone: 'us-west-2b,us-west-2a' },
  raylaunch: { ssh_ingress_cidr: '10.9.0.0/24' },
  ...over,
});

describe('the AWS provider against the fake AWS, through the SDK', function () {
  this.timeout(120_000);
  let restoreEnv: () => void;
  let fake: FakeAws;
  let dir: string;
  const providers: AwsProvider[] = [];

  const load = async (c: ClusterConfig = config(), onHead = false): Promise<AwsProvider> => {
    const p = await createProvider(c, { clusterName: c.cluster_name, stateDir: dir, nodeEnv: {}, entry: () => '/none.js', onHead }) as AwsProvider;
    providers.push(p);
    return p;
  };
  const calls = (action: string) => fake.calls.filter((c) => c.action === action);

  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    fake = await FakeAws.start({ pool: new InMemoryHostPool(Array.from({ length: 30 }, (_, i) => `127.0.4.${i + 1}`)) });
    process.env.AWS_ENDPOINT_URL = fake.endpoint;
    process.env.AWS_ACCESS_KEY_ID = DUMMY_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = DUMMY_CREDENTIALS.secretAccessKey;
    dir = mkdtempSync(join(tmpdir(), 'rl-aws-provider-'));
  });
  afterEach(async () => {
    for (const p of providers.splice(0)) p.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('prepare creates the key pair (key 0600 here), the security group, the head role, and fills node_config and resources', async () => {
    const lines: string[] = [];
    const p = await load();
    const c = await p.prepare(config(), (l) => lines.push(l));
    const head = c.available_node_types['ray.head.default']?.node_config ?? {};
    const worker = c.available_node_types['ray.worker.default']?.node_config ?? {};
    // The zones' order decides the subnets' order; the image is the newest Ubuntu 24.04 of Canonical's.
    assert.deepEqual(worker.SubnetIds, ['subnet-0d000000000000002', 'subnet-0d000000000000001']);
    assert.equal(worker.ImageId, 'ami-0a1b2c3d4e5f60002');
    assert.equal(typeof worker.KeyName, 'string');
    assert.deepEqual(head.IamInstanceProfile, { Name: 'raylaunch-head-rl-aws' });
    assert.equal(worker.IamInstanceProfile, undefined);
    assert.equal(statSync(c.auth.ssh_private_key ?? '').mode & 0o777, 0o600);
    assert.deepEqual(c.available_node_types['ray.head.default']?.resources, { CPU: 0, memory: Math.floor(8192 * 1024 * 1024 * 0.7) });
    assert.equal(c.available_node_types['ray.worker.default']?.resources.CPU, 2);
    const [sg] = [...fake.cloud.groups.values()].filter((g) => g.name === 'raylaunch-rl-aws');
    assert.ok(sg);
    assert.deepEqual(worker.SecurityGroupIds, [sg.id]);
    const role = fake.cloud.roles.get('raylaunch-head-rl-aws');
    assert.deepEqual(JSON.parse(role?.policies.get('raylaunch-head')?.text ?? '{}'), headPolicy({
      cluster: 'rl-aws', partition: 'aws', region: 'us-west-2', account: fake.cloud.account, subnetIds: worker.SubnetIds as string[],
      securityGroupIds: [sg.id], imageIds: ['ami-0a1b2c3d4e5f60002'], keyName: worker.KeyName as string, spot: true, workerRoleArns: [],
    }));
    assert.ok(lines.some((l) => /security group raylaunch-rl-aws .* created/.test(l)), lines.join('\n'));
    // Again: everything is found, nothing created twice.
    const again = await p.prepare(config({ raylaunch: { ssh_ingress_cidr: '10.8.0.0/24' } }), () => undefined);
    assert.deepEqual(again.available_node_types['ray.worker.default']?.node_config, worker);
    assert.equal(fake.cloud.keyPairs.size, 1);
    assert.equal([...fake.cloud.groups.values()].filter((g) => g.name === 'raylaunch-rl-aws').length, 1);
    assert.equal(calls('CreateRole').length, 1);
    const ssh = JSON.stringify(fake.cloud.groups.get(sg.id)?.ingress);
    assert.match(ssh, /10\.8\.0\.0\/24/);
    assert.doesNotMatch(ssh, /10\.9\.0\.0\/24/, 'each up replaces the SSH source with its own');
  });

  it('ten workers asked for at once are one RunInstances, tagged at creation, listed through pagination with their request id', async () => {
    const p = await load();
    await p.prepare(config());
    await p.launch({ requestId: 'req-10', nodeType: 'ray.worker.default', kind: 'worker', count: 10, tags: { 'raylaunch-launch-hash': 'h1' } });
    assert.equal(calls('RunInstances').length, 1);
    const nodes = await p.listNodes();
    assert.equal(nodes.length, 10);
    assert.ok(calls('DescribeInstances').length >= 2, 'the fake pages by 5');
    for (const n of nodes) {
      assert.equal(n.requestId, 'req-10');
      assert.equal(n.tags['raylaunch-launch-hash'], 'h1');
      assert.match(n.hostKey ?? '', /^ssh-ed25519 /);
    }
    const userData = Buffer.from(fake.cloud.instances.get(nodes[0]?.id ?? '')?.userData ?? '', 'base64').toString();
    assert.match(userData, /ed25519_private/);
    // Asked again (a retry of the same request): nothing more is launched.
    await p.launch({ requestId: 'req-10', nodeType: 'ray.worker.default', kind: 'worker', count: 10 });
    assert.equal(calls('RunInstances').length, 1);
  });

  it('no capacity in the first zone: the next zone in the same launch; none anywhere: CapacityError', async () => {
    const p = await load();
    await p.prepare(config());
    fake.cloud.faults.setCapacity('us-west-2b', 0);
    await p.launch({ requestId: 'r1', nodeType: 'ray.worker.default', kind: 'worker', count: 2 });
    const zones = (await p.listNodes()).map((n) => fake.cloud.instances.get(n.id)?.zone);
    assert.deepEqual(zones, ['us-west-2a', 'us-west-2a']);
    fake.cloud.faults.setCapacity('us-west-2a', 0);
    await assert.rejects(p.launch({ requestId: 'r2', nodeType: 'ray.worker.default', kind: 'worker', count: 1 }), isError('CapacityError', (e) => e.reason === 'capacity'));
  });

  it('the vCPU quota is a CapacityError with reason quota', async () => {
    const p = await load();
    await p.prepare(config());
    fake.cloud.faults.vcpuLimit = 2;
    await assert.rejects(p.launch({ requestId: 'r1', nodeType: 'ray.head.default', kind: 'head', count: 2 }), isError('CapacityError', (e) => e.reason === 'quota'));
  });

  it('a 5xx after EC2 acted: the same ClientToken again, and EC2\'s one reservation is all there is', async () => {
    const p = await load();
    await p.prepare(config());
    fake.cloud.faults.failNext({ code: 'InternalError', action: 'RunInstances', afterApplying: true });
    await p.launch({ requestId: 'r1', nodeType: 'ray.worker.default', kind: 'worker', count: 3 });
    const runs = calls('RunInstances');
    assert.ok(runs.length >= 2);
    assert.equal(new Set(runs.map((r) => r.params.ClientToken)).size, 1);
    assert.equal((await p.listNodes()).length, 3);
  });

  it('an instance EC2 does not list yet still counts for its request: nothing is launched twice', async () => {
    const p = await load();
    await p.prepare(config());
    fake.cloud.faults.describeLag = 3;
    await p.launch({ requestId: 'r1', nodeType: 'ray.worker.default', kind: 'worker', count: 2 });
    const first = await p.listNodes();
    assert.deepEqual(first.map((n) => [n.status, n.requestId]), [['pending', 'r1'], ['pending', 'r1']]);
    await p.launch({ requestId: 'r1', nodeType: 'ray.worker.default', kind: 'worker', count: 2 });
    assert.equal(calls('RunInstances').length, 1);
  });

  it('a fresh instance profile that EC2 calls invalid is retried until IAM has propagated it', async () => {
    const p = await load();
    await p.prepare(config());
    fake.cloud.faults.iamPropagationMs = 1500;
    await p.launch({ requestId: 'h1', nodeType: 'ray.head.default', kind: 'head', count: 1 });
    assert.ok(calls('RunInstances').some((r) => r.error === 'InvalidParameterValue'));
    assert.equal((await p.listNodes()).length, 1);
  });

  it('credentials refused: ProviderAuthError; none at all: ProviderAuthError naming AWS_PROFILE and aws sso login', async () => {
    const p = await load();
    fake.cloud.faults.failNext({ code: 'AuthFailure', service: 'sts' });
    await assert.rejects(p.prepare(config()), isError('ProviderAuthError'));
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    const none = await load();
    await assert.rejects(none.prepare(config()), isError('ProviderAuthError', (e) => /AWS_PROFILE/.test(e.hint ?? '') && /aws sso login/.test(e.hint ?? '')));
  });

  it('cleanUp after terminate: security group (in use a while), key pair, role and profile deleted; nothing of the cluster is left', async () => {
    const p = await load();
    await p.prepare(config());
    await p.launch({ requestId: 'r1', nodeType: 'ray.worker.default', kind: 'worker', count: 2 });
    await p.terminate((await p.listNodes()).map((n) => n.id));
    assert.deepEqual(await p.cleanUp(() => undefined), []);
    assert.equal([...fake.cloud.groups.values()].filter((g) => g.name === 'raylaunch-rl-aws').length, 0);
    assert.equal(fake.cloud.keyPairs.size, 0);
    assert.equal(fake.cloud.roles.size, 0);
    assert.equal(fake.cloud.profiles.size, 0);
  });
});

describe('the AWS provider on the head: the instance profile\'s credentials, under raylaunch\'s own policy', function () {
  this.timeout(120_000);
  let restoreEnv: () => void;
  let fake: FakeAws;
  let dir: string;

  beforeEach(async () => {
    // The head instance gets 127.0.0.1, the address the SDK's own IMDS requests come from.
    fake = await FakeAws.start({ pool: new InMemoryHostPool(['127.0.0.1', ...Array.from({ length: 10 }, (_, i) => `127.0.5.${i + 1}`)]) });
    dir = mkdtempSync(join(tmpdir(), 'rl-aws-head-'));
  });
  afterEach(async () => {
    restoreEnv();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the head launches, lists and terminates workers with its role (ASIA keys from IMDSv2), and the policy lets it do exactly that', async () => {
    // The CLI: dummy keys, as a user's.
    restoreEnv = isolateAwsEnv();
    Object.assign(process.env, { AWS_ENDPOINT_URL: fake.endpoint, AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey });
    const ctx = { clusterName: 'rl-head', stateDir: dir, nodeEnv: {}, entry: () => '/none.js' };
    const cli = await createProvider(config({ cluster_name: 'rl-head' }), ctx) as AwsProvider;
    const prepared = await cli.prepare(config({ cluster_name: 'rl-head' }), () => undefined);
    await cli.launch({ requestId: 'head-1', nodeType: prepared.head_node_type, kind: 'head', count: 1 });
    cli.close();
    restoreEnv();
    // The head: no keys at all, only IMDS (as on an instance) and the endpoint the CLI passed on.
    restoreEnv = isolateAwsEnv({ imdsEndpoint: fake.imdsEndpoint });
    process.env.AWS_ENDPOINT_URL = fake.endpoint;
    const head = await createProvider(prepared, { ...ctx, onHead: true }) as AwsProvider;
    try {
      await head.launch({ requestId: 'w-1', nodeType: 'ray.worker.default', kind: 'worker', count: 3, tags: { 'raylaunch-launch-hash': 'h' } });
      const workers = (await head.listNodes()).filter((n) => n.kind === 'worker');
      assert.equal(workers.length, 3);
      await head.terminate(workers.map((n) => n.id));
    } finally {
      head.close();
    }
    const byRole = fake.calls.filter((c) => c.roleName === 'raylaunch-head-rl-head');
    assert.deepEqual([...new Set(byRole.map((c) => c.action))].sort(), ['DescribeInstances', 'RunInstances', 'TerminateInstances']);
    assert.ok(byRole.every((c) => c.accessKeyId?.startsWith('ASIA') && c.status === 200), JSON.stringify(byRole.map((c) => [c.action, c.status, c.error])));
    assert.equal(fake.calls.filter((c) => c.accessKeyId === DUMMY_CREDENTIALS.accessKeyId && c.action === 'RunInstances').length, 1, 'the CLI launched the head only');
  });
});
