// IAM and STS through the SDK, and the instance-profile path a head takes: the SDK's default credential chain
// reaching the fake IMDS (IMDSv2), whose credentials the fake then holds to the role's policy.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import {
  CreateTagsCommand, DescribeInstancesCommand, RunInstancesCommand, TerminateInstancesCommand, type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import {
  AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand, DeleteInstanceProfileCommand, DeleteRoleCommand,
  DeleteRolePolicyCommand, GetInstanceProfileCommand, GetRoleCommand, GetRolePolicyCommand, PutRolePolicyCommand, RemoveRoleFromInstanceProfileCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { FakeAws, InMemoryHostPool, ManualClock } from '../../fakes/aws/index.js';
import { awsClients, isolateAwsEnv, type AwsClients } from '../../helpers/aws-env.js';

const IMAGE = 'ami-0a1b2c3d4e5f60002';
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }] });
const CLUSTER_TAG = 'raylaunch-cluster-name';
const HEAD_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    { Effect: 'Allow', Action: ['ec2:Describe*'], Resource: '*' },
    { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: ['arn:aws:ec2:*:*:instance/*', 'arn:aws:ec2:*:*:volume/*'], Condition: { StringEquals: { [`aws:RequestTag/${CLUSTER_TAG}`]: 'c1' } } },
    { Effect: 'Allow', Action: 'ec2:RunInstances', Resource: ['arn:aws:ec2:*:*:subnet/*', 'arn:aws:ec2:*:*:security-group/*', 'arn:aws:ec2:*::image/*', 'arn:aws:ec2:*:*:network-interface/*', 'arn:aws:ec2:*:*:key-pair/*'] },
    { Effect: 'Allow', Action: 'ec2:CreateTags', Resource: '*', Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } } },
    { Effect: 'Allow', Action: ['ec2:TerminateInstances', 'ec2:StopInstances', 'ec2:StartInstances'], Resource: 'arn:aws:ec2:*:*:instance/*', Condition: { StringEquals: { [`ec2:ResourceTag/${CLUSTER_TAG}`]: 'c1' } } },
  ],
});

const tags = (value: string, types: ('instance' | 'volume')[] = ['instance', 'volume']) => ({
  TagSpecifications: types.map((ResourceType) => ({ ResourceType, Tags: [{ Key: CLUSTER_TAG, Value: value }] })),
});
const run = (over: Partial<RunInstancesCommandInput> = {}): RunInstancesCommand => new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, ...over });

async function makeRole(iam: IAMClient, name: string, policy?: string): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  if (policy !== undefined) await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: 'p', PolicyDocument: policy }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name }));
  await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name }));
}

interface Reply { status: number; body: string }
/** A raw IMDS request from a chosen loopback source address, as an instance at that address would make it. */
function imds(endpoint: string, path: string, opts: { method?: string; headers?: Record<string, string>; from?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(`${endpoint}${path}`, { method: opts.method ?? 'GET', headers: opts.headers, localAddress: opts.from ?? '127.0.0.1' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}
const token = async (endpoint: string, from = '127.0.0.1'): Promise<string> =>
  (await imds(endpoint, '/latest/api/token', { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' }, from })).body;

describe('fake AWS: IAM and STS through the SDK', () => {
  let restoreEnv: () => void;
  let fake: FakeAws;
  let c: AwsClients;

  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    fake = await FakeAws.start({ imds: false });
    c = awsClients(fake);
  });
  afterEach(async () => {
    c.destroy();
    await fake.close();
  });

  it('roles, inline policies and instance profiles: create, get, conflicts, delete in order', async () => {
    const created = await c.iam.send(new CreateRoleCommand({ RoleName: 'head', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: CLUSTER_TAG, Value: 'c1' }] }));
    assert.equal(created.Role?.Arn, 'arn:aws:iam::123456789012:role/head');
    assert.equal(decodeURIComponent((await c.iam.send(new GetRoleCommand({ RoleName: 'head' }))).Role?.AssumeRolePolicyDocument ?? ''), TRUST);
    await assert.rejects(c.iam.send(new CreateRoleCommand({ RoleName: 'head', AssumeRolePolicyDocument: TRUST })), { name: 'EntityAlreadyExistsException' });
    await c.iam.send(new PutRolePolicyCommand({ RoleName: 'head', PolicyName: 'p', PolicyDocument: HEAD_POLICY }));
    assert.equal(decodeURIComponent((await c.iam.send(new GetRolePolicyCommand({ RoleName: 'head', PolicyName: 'p' }))).PolicyDocument ?? ''), HEAD_POLICY);
    await assert.rejects(c.iam.send(new PutRolePolicyCommand({ RoleName: 'head', PolicyName: 'bad', PolicyDocument: '{' })), { name: 'MalformedPolicyDocumentException' });
    await c.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'head' }));
    await c.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'head', RoleName: 'head' }));
    await assert.rejects(c.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'head', RoleName: 'head' })), { name: 'LimitExceededException' });
    assert.deepEqual((await c.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'head' }))).InstanceProfile?.Roles?.map((r) => r.RoleName), ['head']);
    await assert.rejects(c.iam.send(new DeleteRoleCommand({ RoleName: 'head' })), { name: 'DeleteConflictException' });
    await assert.rejects(c.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'head' })), { name: 'DeleteConflictException' });
    await c.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: 'head', RoleName: 'head' }));
    await c.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: 'head' }));
    await c.iam.send(new DeleteRolePolicyCommand({ RoleName: 'head', PolicyName: 'p' }));
    await c.iam.send(new DeleteRoleCommand({ RoleName: 'head' }));
    await assert.rejects(c.iam.send(new GetRoleCommand({ RoleName: 'head' })), { name: 'NoSuchEntityException' });
    await assert.rejects(c.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: 'head' })), { name: 'NoSuchEntityException' });
  });

  it('GetCallerIdentity names the account and the user behind the access key', async () => {
    const id = await c.sts.send(new GetCallerIdentityCommand({}));
    assert.deepEqual([id.Account, id.Arn], ['123456789012', 'arn:aws:iam::123456789012:user/fake-user']);
    assert.equal(fake.callsOf('GetCallerIdentity')[0]?.service, 'sts');
  });
});

describe('fake AWS: an instance profile through IMDS, and its policy', () => {
  let restoreEnv: () => void;
  let fake: FakeAws;
  let admin: AwsClients;
  let head: AwsClients;
  let headId: string;

  beforeEach(async () => {
    // The instance gets 127.0.0.1, the address the SDK's own IMDS requests come from.
    fake = await FakeAws.start({ pool: new InMemoryHostPool(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4']) });
    restoreEnv = isolateAwsEnv({ imdsEndpoint: fake.imdsEndpoint });
    admin = awsClients(fake);
    await makeRole(admin.iam, 'head', HEAD_POLICY);
    headId = (await admin.ec2.send(run({ IamInstanceProfile: { Name: 'head' }, ...tags('c1') }))).Instances?.[0]?.InstanceId ?? '';
    head = awsClients(fake, { credentials: 'chain' });
  });
  afterEach(async () => {
    head.destroy();
    admin.destroy();
    restoreEnv();
    await fake.close();
  });

  it('the SDK\'s default chain gets the role\'s temporary credentials from IMDSv2, and the fake records them', async () => {
    const id = await head.sts.send(new GetCallerIdentityCommand({}));
    assert.equal(id.Arn, `arn:aws:sts::123456789012:assumed-role/head/${headId}`);
    const call = fake.callsOf('GetCallerIdentity')[0];
    assert.match(call?.accessKeyId ?? '', /^ASIA/);
    assert.equal(call?.roleName, 'head');
    assert.deepEqual(fake.imds.calls.map((x) => [x.method, x.path, x.status]), [
      ['PUT', '/latest/api/token', 200],
      ['GET', '/latest/meta-data/iam/security-credentials/', 200],
      ['GET', '/latest/meta-data/iam/security-credentials/head', 200],
    ]);
  });

  it('the role may launch only with its cluster tag on instance and volume, and terminate only its own', async () => {
    const mine = await head.ec2.send(run(tags('c1')));
    assert.equal(mine.Instances?.length, 1);
    const CASES: [string, RunInstancesCommand][] = [
      ['another cluster\'s tag', run(tags('c2'))],
      ['no tags', run()],
      ['the volume untagged', run(tags('c1', ['instance']))],
    ];
    for (const [what, cmd] of CASES) await assert.rejects(head.ec2.send(cmd), { name: 'UnauthorizedOperation' }, what);
    const theirs = (await admin.ec2.send(run(tags('c2')))).Instances?.[0]?.InstanceId ?? '';
    await assert.rejects(head.ec2.send(new TerminateInstancesCommand({ InstanceIds: [theirs] })), { name: 'UnauthorizedOperation' });
    await head.ec2.send(new TerminateInstancesCommand({ InstanceIds: [mine.Instances?.[0]?.InstanceId ?? ''] }));
    await assert.rejects(head.ec2.send(new CreateTagsCommand({ Resources: [theirs], Tags: [{ Key: CLUSTER_TAG, Value: 'c1' }] })), { name: 'UnauthorizedOperation' }, 'tags outside RunInstances');
    assert.ok((await head.ec2.send(new DescribeInstancesCommand({}))).Reservations !== undefined);
    await assert.rejects(head.iam.send(new CreateRoleCommand({ RoleName: 'x', AssumeRolePolicyDocument: TRUST })), { name: 'AccessDenied' });
    assert.ok(fake.calls.filter((x) => x.roleName === 'head').every((x) => x.accessKeyId?.startsWith('ASIA')));
  });

  it('passing a role to a launched instance needs iam:PassRole on that role', async () => {
    await makeRole(admin.iam, 'worker');
    await assert.rejects(head.ec2.send(run({ IamInstanceProfile: { Name: 'worker' }, ...tags('c1') })), (e: Error) => e.name === 'UnauthorizedOperation' && /iam:PassRole/.test(e.message));
    const withPass = JSON.parse(HEAD_POLICY) as { Statement: unknown[] };
    withPass.Statement.push({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::123456789012:role/worker' });
    await admin.iam.send(new PutRolePolicyCommand({ RoleName: 'head', PolicyName: 'p', PolicyDocument: JSON.stringify(withPass) }));
    assert.equal((await head.ec2.send(run({ IamInstanceProfile: { Name: 'worker' }, ...tags('c1') }))).Instances?.length, 1);
  });

  it('IMDS requires a token from the same address, and tells instances apart by source address', async () => {
    const other = (await admin.ec2.send(run({ IamInstanceProfile: { Name: 'head' }, ...tags('c1') }))).Instances?.[0]?.InstanceId ?? '';
    await admin.ec2.send(new DescribeInstancesCommand({}));
    assert.equal((await imds(fake.imdsEndpoint, '/latest/meta-data/instance-id')).status, 401, 'IMDSv1 is refused');
    assert.equal((await imds(fake.imdsEndpoint, '/latest/api/token', { method: 'PUT' })).status, 400, 'a token needs a TTL');
    const t1 = await token(fake.imdsEndpoint);
    assert.deepEqual(await imds(fake.imdsEndpoint, '/latest/meta-data/instance-id', { headers: { 'x-aws-ec2-metadata-token': t1 } }), { status: 200, body: headId });
    assert.equal((await imds(fake.imdsEndpoint, '/latest/meta-data/instance-id', { headers: { 'x-aws-ec2-metadata-token': t1 }, from: '127.0.0.2' })).status, 401, 'a token from another address');
    const t2 = await token(fake.imdsEndpoint, '127.0.0.2');
    assert.deepEqual(await imds(fake.imdsEndpoint, '/latest/meta-data/instance-id', { headers: { 'x-aws-ec2-metadata-token': t2 }, from: '127.0.0.2' }), { status: 200, body: other });
    const creds = (from: string, t: string) => imds(fake.imdsEndpoint, '/latest/meta-data/iam/security-credentials/head', { headers: { 'x-aws-ec2-metadata-token': t }, from });
    const a = JSON.parse((await creds('127.0.0.1', t1)).body) as { AccessKeyId: string; Code: string };
    const b = JSON.parse((await creds('127.0.0.2', t2)).body) as { AccessKeyId: string };
    assert.equal(a.Code, 'Success');
    assert.notEqual(a.AccessKeyId, b.AccessKeyId);
    assert.equal(fake.cloud.sessions.get(b.AccessKeyId)?.instanceId, other);
  });
});

describe('fake AWS: spot notices and credential rotation on a manual clock', () => {
  let restoreEnv: () => void;
  let fake: FakeAws;
  let clock: ManualClock;
  let admin: AwsClients;

  beforeEach(async () => {
    clock = new ManualClock();
    fake = await FakeAws.start({ clock, pool: new InMemoryHostPool(['127.0.0.1']), credentialLifetimeMs: 3600_000, terminateDelayMs: 1000 });
    restoreEnv = isolateAwsEnv();
    admin = awsClients(fake);
  });
  afterEach(async () => {
    admin.destroy();
    restoreEnv();
    await fake.close();
  });

  it('a spot interruption notice shows in IMDS spot/instance-action, then the instance is terminated at its time', async () => {
    const id = (await admin.ec2.send(run({ InstanceMarketOptions: { MarketType: 'spot' } }))).Instances?.[0]?.InstanceId ?? '';
    clock.advance(0);
    const t = await token(fake.imdsEndpoint);
    const action = () => imds(fake.imdsEndpoint, '/latest/meta-data/spot/instance-action', { headers: { 'x-aws-ec2-metadata-token': t } });
    assert.equal((await action()).status, 404);
    fake.interruptSpot(id);
    const notice = await action();
    assert.equal(notice.status, 200);
    assert.deepEqual(JSON.parse(notice.body), { action: 'terminate', time: new Date(clock.now() + 120_000).toISOString().replace('.000Z', 'Z') });
    clock.advance(119_999);
    assert.equal(fake.cloud.instances.get(id)?.state, 'running');
    clock.advance(1);
    const [inst] = (await admin.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances ?? [];
    assert.deepEqual([inst?.State?.Name, inst?.StateReason?.Code], ['shutting-down', 'Server.SpotInstanceTermination']);
    clock.advance(1000);
    assert.equal(fake.cloud.instances.get(id)?.state, 'terminated');
  });

  it('IMDS hands out new credentials before the old expire; the old work until they expire, then fail', async () => {
    await makeRole(admin.iam, 'head', HEAD_POLICY);
    await admin.ec2.send(run({ IamInstanceProfile: { Name: 'head' }, ...tags('c1') }));
    clock.advance(0);
    const get = async () => JSON.parse((await imds(fake.imdsEndpoint, '/latest/meta-data/iam/security-credentials/head', { headers: { 'x-aws-ec2-metadata-token': await token(fake.imdsEndpoint) } })).body) as { AccessKeyId: string; SecretAccessKey: string; Token: string };
    const first = await get();
    clock.advance(30 * 60_000);
    assert.equal((await get()).AccessKeyId, first.AccessKeyId, 'still fresh');
    clock.advance(20 * 60_000);
    const second = await get();
    assert.notEqual(second.AccessKeyId, first.AccessKeyId);
    const old = awsClients(fake, { credentials: { accessKeyId: first.AccessKeyId, secretAccessKey: first.SecretAccessKey, sessionToken: first.Token } });
    await old.ec2.send(new DescribeInstancesCommand({}));
    clock.advance(10 * 60_000);
    await assert.rejects(old.ec2.send(new DescribeInstancesCommand({})), { name: 'AuthFailure' });
    old.destroy();
  });
});
