// The fake EC2 driven through the real SDK client: each action's happy path and the errors a provider relies on.
import assert from 'node:assert/strict';
import {
  AuthorizeSecurityGroupIngressCommand, CreateSecurityGroupCommand, CreateTagsCommand, DeleteKeyPairCommand, DeleteSecurityGroupCommand,
  DescribeAvailabilityZonesCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeInstanceTypesCommand, DescribeKeyPairsCommand,
  DescribeSecurityGroupsCommand, DescribeSubnetsCommand, DescribeVpcsCommand, ImportKeyPairCommand, paginateDescribeInstances,
  RevokeSecurityGroupIngressCommand, RunInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand,
  type Instance, type RunInstancesCommandInput,
} from '@aws-sdk/client-ec2';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { FakeAws, InMemoryHostPool, ManualClock } from '../../fakes/aws/index.js';
import { awsClients, isolateAwsEnv, type AwsClients } from '../../helpers/aws-env.js';

const IMAGE = 'ami-0a1b2c3d4e5f60002';
const ED25519 = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFakeFake0 test@raylaunch';
const run = (over: Partial<RunInstancesCommandInput> = {}): RunInstancesCommand =>
  new RunInstancesCommand({ ImageId: IMAGE, InstanceType: 'm5.large', MinCount: 1, MaxCount: 1, ...over });
const tagged = (key: string, value: string) => ({ TagSpecifications: [{ ResourceType: 'instance' as const, Tags: [{ Key: key, Value: value }] }] });

describe('fake AWS: EC2 through the SDK', () => {
  let restoreEnv: () => void;
  let fake: FakeAws;
  let clock: ManualClock;
  let pool: InMemoryHostPool;
  let c: AwsClients;

  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    clock = new ManualClock();
    pool = new InMemoryHostPool(Array.from({ length: 20 }, (_, i) => `127.0.2.${i + 1}`));
    fake = await FakeAws.start({ clock, pool, bootDelayMs: 10_000, stopDelayMs: 5_000, terminateDelayMs: 5_000 });
    c = awsClients(fake);
  });
  afterEach(async () => {
    c.destroy();
    await fake.close();
  });

  const describeAll = async (input: ConstructorParameters<typeof DescribeInstancesCommand>[0] = {}): Promise<Instance[]> => {
    const out: Instance[] = [];
    for await (const page of paginateDescribeInstances({ client: c.ec2 }, input)) out.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
    return out;
  };

  it('RunInstances launches pending instances with their tags, key, user data kept base64, zone and groups', async () => {
    await c.ec2.send(new ImportKeyPairCommand({ KeyName: 'k1', PublicKeyMaterial: Buffer.from(ED25519) }));
    const userData = Buffer.from('#cloud-config\nssh_keys: {}\n').toString('base64');
    const subnet = (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-west-2b'] }] }))).Subnets?.[0];
    const out = await c.ec2.send(run({ MaxCount: 3, KeyName: 'k1', UserData: userData, SubnetId: subnet?.SubnetId, InstanceMarketOptions: { MarketType: 'spot' }, ...tagged('raylaunch-cluster-name', 'c1') }));
    assert.match(out.ReservationId ?? '', /^r-[0-9a-f]{17}$/);
    assert.equal(out.Instances?.length, 3);
    for (const i of out.Instances ?? []) {
      assert.match(i.InstanceId ?? '', /^i-[0-9a-f]{17}$/);
      assert.equal(i.State?.Name, 'pending');
      assert.equal(i.State?.Code, 0);
      assert.equal(i.Placement?.AvailabilityZone, 'us-west-2b');
      assert.equal(i.KeyName, 'k1');
      assert.equal(i.InstanceLifecycle, 'spot');
      assert.equal(i.PublicIpAddress, undefined, 'no public address before it runs');
      assert.deepEqual(i.Tags, [{ Key: 'raylaunch-cluster-name', Value: 'c1' }]);
    }
    const inst = fake.cloud.instances.get(out.Instances?.[0]?.InstanceId ?? '');
    assert.equal(inst?.userData, userData);
    assert.deepEqual(out.Instances?.map((i) => i.AmiLaunchIndex), [0, 1, 2]);
  });

  it('an instance runs after the boot delay, is handed its user data and key, and shows its public address only then', async () => {
    await c.ec2.send(new ImportKeyPairCommand({ KeyName: 'k1', PublicKeyMaterial: Buffer.from(ED25519) }));
    const out = await c.ec2.send(run({ KeyName: 'k1', UserData: Buffer.from('hello').toString('base64') }));
    const id = out.Instances?.[0]?.InstanceId ?? '';
    clock.advance(9_999);
    assert.equal((await describeAll({ InstanceIds: [id] }))[0]?.State?.Name, 'pending');
    clock.advance(1);
    await fake.idle();
    const [running] = await describeAll({ InstanceIds: [id] });
    assert.equal(running?.State?.Name, 'running');
    assert.equal(running?.PublicIpAddress, '127.0.2.1');
    assert.equal(running?.PrivateIpAddress, '127.0.2.1');
    assert.deepEqual(pool.boots.map((b) => [b.instanceId, b.publicKey, b.userData, b.imdsEndpoint]), [[id, ED25519, Buffer.from('hello').toString('base64'), fake.imdsEndpoint]]);
  });

  it('stop, start and terminate walk the lifecycle and release the host', async () => {
    const id = (await c.ec2.send(run())).Instances?.[0]?.InstanceId ?? '';
    clock.advance(10_000);
    const stop = await c.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual([stop.StoppingInstances?.[0]?.PreviousState?.Name, stop.StoppingInstances?.[0]?.CurrentState?.Name], ['running', 'stopping']);
    await fake.idle();
    assert.deepEqual(pool.released, ['127.0.2.1']);
    clock.advance(5_000);
    assert.equal((await describeAll({ InstanceIds: [id] }))[0]?.State?.Name, 'stopped');
    const start = await c.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    assert.equal(start.StartingInstances?.[0]?.CurrentState?.Name, 'pending');
    clock.advance(10_000);
    assert.equal((await describeAll({ InstanceIds: [id] }))[0]?.State?.Name, 'running');
    const term = await c.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    assert.deepEqual([term.TerminatingInstances?.[0]?.PreviousState?.Name, term.TerminatingInstances?.[0]?.CurrentState?.Name], ['running', 'shutting-down']);
    clock.advance(5_000);
    const [gone] = await describeAll({ InstanceIds: [id] });
    assert.equal(gone?.State?.Name, 'terminated');
    assert.equal(gone?.State?.Code, 48);
    assert.deepEqual(fake.cloud.instances.get(id)?.history.map((h) => h.to), ['running', 'stopping', 'stopped', 'pending', 'running', 'shutting-down', 'terminated']);
  });

  it('a spot instance cannot be stopped (one-time request), as in EC2', async () => {
    const id = (await c.ec2.send(run({ InstanceMarketOptions: { MarketType: 'spot' } }))).Instances?.[0]?.InstanceId ?? '';
    clock.advance(10_000);
    await assert.rejects(c.ec2.send(new StopInstancesCommand({ InstanceIds: [id] })), { name: 'UnsupportedOperation' });
  });

  it('DescribeInstances filters by tag, state and id, and pages at the fake page size', async () => {
    await c.ec2.send(run({ MaxCount: 7, ...tagged('raylaunch-cluster-name', 'a') }));
    const other = await c.ec2.send(run({ MaxCount: 4, ...tagged('raylaunch-cluster-name', 'b') }));
    const term = other.Instances?.[0]?.InstanceId ?? '';
    await c.ec2.send(new TerminateInstancesCommand({ InstanceIds: [term] }));
    const pages: number[] = [];
    for await (const page of paginateDescribeInstances({ client: c.ec2 }, { Filters: [{ Name: 'tag:raylaunch-cluster-name', Values: ['a', 'b'] }] })) {
      pages.push((page.Reservations ?? []).flatMap((r) => r.Instances ?? []).length);
    }
    assert.deepEqual(pages, [5, 5, 1]);
    assert.equal((await describeAll({ Filters: [{ Name: 'tag:raylaunch-cluster-name', Values: ['a'] }] })).length, 7);
    assert.equal((await describeAll({ Filters: [{ Name: 'tag:raylaunch-cluster-name', Values: ['b'] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] })).length, 3);
    assert.equal((await describeAll({ Filters: [{ Name: 'tag-key', Values: ['raylaunch-*'] }] })).length, 11);
    assert.deepEqual((await describeAll({ Filters: [{ Name: 'instance-id', Values: [term] }] })).map((i) => i.State?.Name), ['shutting-down']);
    const small = await c.ec2.send(new DescribeInstancesCommand({ MaxResults: 5 }));
    assert.ok(small.NextToken !== undefined);
    await assert.rejects(c.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })), { name: 'InvalidParameterValue' });
    await assert.rejects(c.ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), { name: 'InvalidInstanceID.NotFound' });
  });

  it('the same ClientToken returns the same reservation; other parameters with it are refused', async () => {
    const first = await c.ec2.send(run({ MaxCount: 2, ClientToken: 'tok-1' }));
    const again = await c.ec2.send(run({ MaxCount: 2, ClientToken: 'tok-1' }));
    assert.equal(again.ReservationId, first.ReservationId);
    assert.deepEqual(again.Instances?.map((i) => i.InstanceId), first.Instances?.map((i) => i.InstanceId));
    assert.equal(fake.cloud.instances.size, 2);
    await assert.rejects(c.ec2.send(run({ MaxCount: 3, ClientToken: 'tok-1' })), { name: 'IdempotentParameterMismatch' });
    await assert.rejects(c.ec2.send(run({ ClientToken: 'x'.repeat(65) })), { name: 'InvalidParameterValue' });
  });

  it('CreateTags tags instances and groups; an unknown instance is NotFound', async () => {
    const id = (await c.ec2.send(run())).Instances?.[0]?.InstanceId ?? '';
    await c.ec2.send(new CreateTagsCommand({ Resources: [id], Tags: [{ Key: 'k', Value: 'v' }] }));
    assert.deepEqual((await describeAll({ Filters: [{ Name: 'tag:k', Values: ['v'] }] })).map((i) => i.InstanceId), [id]);
    await assert.rejects(c.ec2.send(new CreateTagsCommand({ Resources: ['i-0000000000000000f'], Tags: [{ Key: 'k', Value: 'v' }] })), { name: 'InvalidInstanceID.NotFound' });
  });

  it('RunInstances places an instance by its network interface\'s subnet and groups', async () => {
    const sg = (await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'g', Description: 'g' }))).GroupId ?? '';
    const subnet = (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'availability-zone', Values: ['us-west-2c'] }] }))).Subnets?.[0]?.SubnetId;
    const out = await c.ec2.send(run({ NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnet, Groups: [sg], AssociatePublicIpAddress: true }] }));
    const [i] = out.Instances ?? [];
    assert.deepEqual([i?.SubnetId, i?.Placement?.AvailabilityZone, i?.SecurityGroups?.map((g) => g.GroupId)], [subnet, 'us-west-2c', [sg]]);
  });

  it('RunInstances refuses an unknown image, type, key pair, subnet or group', async () => {
    const CASES: [Partial<RunInstancesCommandInput>, string][] = [
      [{ ImageId: 'ami-00000000000000000' }, 'InvalidAMIID.NotFound'],
      [{ InstanceType: 'x9.huge' as 'm5.large' }, 'InvalidParameterValue'],
      [{ KeyName: 'nope' }, 'InvalidKeyPair.NotFound'],
      [{ SubnetId: 'subnet-0000000000000000f' }, 'InvalidSubnetID.NotFound'],
      [{ SecurityGroupIds: ['sg-0000000000000000f'] }, 'InvalidGroup.NotFound'],
      [{ UserData: 'not base64!' }, 'InvalidParameterValue'],
      [{ MinCount: 3, MaxCount: 2 }, 'InvalidParameterValue'],
    ];
    for (const [over, code] of CASES) await assert.rejects(c.ec2.send(run(over)), { name: code }, JSON.stringify(over));
    assert.equal(fake.cloud.instances.size, 0);
  });

  it('describes instance types with vCPUs, memory and GPUs', async () => {
    const out = await c.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['m5.large', 'g4dn.xlarge'] }));
    const byName = new Map(out.InstanceTypes?.map((t) => [t.InstanceType, t]));
    assert.equal(byName.get('m5.large')?.VCpuInfo?.DefaultVCpus, 2);
    assert.equal(byName.get('m5.large')?.MemoryInfo?.SizeInMiB, 8192);
    assert.equal(byName.get('m5.large')?.GpuInfo, undefined);
    assert.deepEqual(byName.get('g4dn.xlarge')?.GpuInfo?.Gpus?.map((g) => [g.Name, g.Manufacturer, g.Count]), [['T4', 'NVIDIA', 1]]);
    await assert.rejects(c.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: ['x9.huge' as 'm5.large'] })), { name: 'InvalidInstanceType' });
  });

  it('finds Ubuntu images by owner and name pattern', async () => {
    const out = await c.ec2.send(new DescribeImagesCommand({
      Owners: ['099720109477'],
      Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*'] }, { Name: 'state', Values: ['available'] }],
    }));
    const latest = [...(out.Images ?? [])].sort((a, b) => (b.CreationDate ?? '').localeCompare(a.CreationDate ?? ''))[0];
    assert.equal(out.Images?.length, 2);
    assert.equal(latest?.ImageId, IMAGE);
    assert.equal(latest?.Architecture, 'x86_64');
    assert.equal((await c.ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images?.length, 1);
  });

  it('describes the default VPC, a public subnet per zone, and the zones', async () => {
    const vpcs = (await c.ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs ?? [];
    assert.equal(vpcs.length, 1);
    const subnets = (await c.ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpcs[0]?.VpcId ?? ''] }] }))).Subnets ?? [];
    assert.deepEqual(subnets.map((s) => [s.AvailabilityZone, s.MapPublicIpOnLaunch, s.DefaultForAz]), [['us-west-2a', true, true], ['us-west-2b', true, true], ['us-west-2c', true, true]]);
    const zones = (await c.ec2.send(new DescribeAvailabilityZonesCommand({}))).AvailabilityZones ?? [];
    assert.deepEqual(zones.map((z) => [z.ZoneName, z.State]), [['us-west-2a', 'available'], ['us-west-2b', 'available'], ['us-west-2c', 'available']]);
  });

  it('security groups: create, rules by CIDR and by group, duplicates refused, revoke, delete once unused', async () => {
    const sg = await c.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'raylaunch-c1', Description: 'c1', TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: 'raylaunch-cluster-name', Value: 'c1' }] }] }));
    const id = sg.GroupId ?? '';
    await assert.rejects(c.ec2.send(new CreateSecurityGroupCommand({ GroupName: 'raylaunch-c1', Description: 'again' })), { name: 'InvalidGroup.Duplicate' });
    const ssh = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '203.0.113.7/32' }] };
    await c.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [ssh, { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: id }] }] }));
    await assert.rejects(c.ec2.send(new AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [ssh] })), { name: 'InvalidPermission.Duplicate' });
    const [g] = (await c.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'tag:raylaunch-cluster-name', Values: ['c1'] }] }))).SecurityGroups ?? [];
    assert.equal(g?.GroupName, 'raylaunch-c1');
    assert.deepEqual(g?.IpPermissions?.map((p) => [p.IpProtocol, p.FromPort, p.IpRanges?.map((r) => r.CidrIp), p.UserIdGroupPairs?.map((u) => u.GroupId)]), [['tcp', 22, ['203.0.113.7/32'], []], ['-1', undefined, [], [id]]]);
    await c.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [ssh] }));
    assert.equal((await c.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] }))).SecurityGroups?.[0]?.IpPermissions?.length, 1);
    const inst = (await c.ec2.send(run({ SecurityGroupIds: [id] }))).Instances?.[0]?.InstanceId ?? '';
    await assert.rejects(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })), { name: 'DependencyViolation' });
    await c.ec2.send(new TerminateInstancesCommand({ InstanceIds: [inst] }));
    await assert.rejects(c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })), { name: 'DependencyViolation' }, 'still shutting down');
    clock.advance(5_000);
    await c.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
    await assert.rejects(c.ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [id] })), { name: 'InvalidGroup.NotFound' });
  });

  it('key pairs: import, describe with the public key, duplicate refused, delete (twice is fine)', async () => {
    const imp = await c.ec2.send(new ImportKeyPairCommand({ KeyName: 'raylaunch-c1', PublicKeyMaterial: Buffer.from(ED25519) }));
    assert.match(imp.KeyPairId ?? '', /^key-/);
    assert.ok((imp.KeyFingerprint ?? '').length > 20);
    await assert.rejects(c.ec2.send(new ImportKeyPairCommand({ KeyName: 'raylaunch-c1', PublicKeyMaterial: Buffer.from(ED25519) })), { name: 'InvalidKeyPair.Duplicate' });
    await assert.rejects(c.ec2.send(new ImportKeyPairCommand({ KeyName: 'bad', PublicKeyMaterial: Buffer.from('not a key') })), { name: 'InvalidKey.Format' });
    const [k] = (await c.ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['raylaunch-c1'], IncludePublicKey: true }))).KeyPairs ?? [];
    assert.deepEqual([k?.KeyName, k?.KeyType, k?.PublicKey], ['raylaunch-c1', 'ed25519', ED25519]);
    await c.ec2.send(new DeleteKeyPairCommand({ KeyName: 'raylaunch-c1' }));
    await c.ec2.send(new DeleteKeyPairCommand({ KeyName: 'raylaunch-c1' }));
    await assert.rejects(c.ec2.send(new DescribeKeyPairsCommand({ KeyNames: ['raylaunch-c1'] })), { name: 'InvalidKeyPair.NotFound' });
  });

  it('records every signed call with its action, access key and parameters; refuses unsigned calls', async () => {
    await c.ec2.send(run(tagged('a', 'b')));
    const [call] = fake.callsOf('RunInstances');
    assert.equal(call?.accessKeyId, 'AKIAFAKECLIKEY000001');
    assert.equal(call?.service, 'ec2');
    assert.equal(call?.params['TagSpecification.1.Tag.1.Key'], 'a');
    assert.equal(call?.principal, 'arn:aws:iam::123456789012:user/fake-user');
    const res = await fetch(fake.endpoint, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'Action=DescribeInstances&Version=2016-11-15' });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>MissingAuthenticationToken<\/Code>/);
    assert.equal(fake.calls.at(-1)?.error, 'MissingAuthenticationToken');
  });
});
