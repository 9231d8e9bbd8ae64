// Each injectable fault, seen through the real SDK as a provider would see it.
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, RunInstancesCommand, type RunInstancesCommandInput } from '@aws-sdk/client-ec2';
import { AddRoleToInstanceProfileCommand, CreateInstanceProfileCommand, CreateRoleCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { after, afterEach, before, beforeEach, describe, it } from 'mocha';
import { FakeAws, InMemoryHostPool, ManualClock } from '../../fakes/aws/index.js';
import { awsClients, isolateAwsEnv, type AwsClients } from '../../helpers/aws-env.js';

const run = (over: Partial<RunInstancesCommandInput> = {}): RunInstancesCommand =>
  new RunInstancesCommand({ ImageId: 'ami-0a1b2c3d4e5f60002', InstanceType: 'm5.xlarge', MinCount: 1, MaxCount: 1, ...over });

describe('fake AWS: injected faults', () => {
  let restoreEnv: () => void;
  let fake: FakeAws;
  let clock: ManualClock;
  let c: AwsClients;

  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  beforeEach(async () => {
    clock = new ManualClock();
    fake = await FakeAws.start({ clock, pool: new InMemoryHostPool(Array.from({ length: 8 }, (_, i) => `127.0.3.${i + 1}`)) });
    c = awsClients(fake);
  });
  afterEach(async () => {
    c.destroy();
    await fake.close();
  });

  it('capacity per zone: InsufficientInstanceCapacity there, the next zone still launches', async () => {
    fake.faults.setCapacity('us-west-2a', 0);
    await assert.rejects(c.ec2.send(run({ Placement: { AvailabilityZone: 'us-west-2a' } })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(e.name, 'InsufficientInstanceCapacity');
      assert.equal(e.$metadata?.httpStatusCode, 500);
      assert.match(e.message, /us-west-2a/);
      return true;
    });
    const out = await c.ec2.send(run({ Placement: { AvailabilityZone: 'us-west-2b' } }));
    assert.equal(out.Instances?.[0]?.Placement?.AvailabilityZone, 'us-west-2b');
  });

  it('capacity per zone and type: MaxCount beyond what is left launches what is left, MinCount beyond it fails', async () => {
    fake.faults.setCapacity('us-west-2a', 2, 'm5.xlarge');
    await assert.rejects(c.ec2.send(run({ MinCount: 3, MaxCount: 3 })), { name: 'InsufficientInstanceCapacity' });
    assert.equal((await c.ec2.send(run({ MaxCount: 5 }))).Instances?.length, 2);
    await assert.rejects(c.ec2.send(run()), { name: 'InsufficientInstanceCapacity' });
    assert.equal((await c.ec2.send(run({ InstanceType: 'm5.large' }))).Instances?.length, 1);
  });

  it('a host pool with no free host is InsufficientInstanceCapacity too', async () => {
    assert.equal((await c.ec2.send(run({ MaxCount: 20 }))).Instances?.length, 8);
    await assert.rejects(c.ec2.send(run()), { name: 'InsufficientInstanceCapacity' });
  });

  it('quota: VcpuLimitExceeded once on-demand vCPUs would pass the limit (spot is not counted)', async () => {
    fake.faults.vcpuLimit = 8;
    assert.equal((await c.ec2.send(run({ MaxCount: 2 }))).Instances?.length, 2);
    await assert.rejects(c.ec2.send(run()), (e: Error) => {
      assert.equal(e.name, 'VcpuLimitExceeded');
      assert.match(e.message, /vCPU limit of 8/);
      return true;
    });
    assert.equal((await c.ec2.send(run({ InstanceMarketOptions: { MarketType: 'spot' } }))).Instances?.length, 1);
  });

  it('throttling: RequestLimitExceeded (503) for the next calls of one action, then normal answers', async () => {
    fake.faults.failNext({ code: 'RequestLimitExceeded', action: 'DescribeInstances', times: 2 });
    await c.ec2.send(run());
    for (let i = 0; i < 2; i++) {
      await assert.rejects(c.ec2.send(new DescribeInstancesCommand({})), (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === 'RequestLimitExceeded' && e.$metadata?.httpStatusCode === 503);
    }
    assert.equal((await c.ec2.send(new DescribeInstancesCommand({}))).Reservations?.length, 1);
  });

  it('the SDK\'s own retries ride out one throttled call', async () => {
    const retrying = awsClients(fake, { maxAttempts: 3 });
    fake.faults.failNext({ code: 'RequestLimitExceeded', action: 'DescribeInstances' });
    await retrying.ec2.send(new DescribeInstancesCommand({}));
    retrying.destroy();
    assert.deepEqual(fake.callsOf('DescribeInstances').map((x) => x.error), ['RequestLimitExceeded', undefined]);
  });

  it('auth failure: AuthFailure injected once, and a revoked key fails on every service', async () => {
    fake.faults.failNext({ code: 'AuthFailure', service: 'ec2' });
    await assert.rejects(c.ec2.send(new DescribeInstancesCommand({})), { name: 'AuthFailure' });
    await c.ec2.send(new DescribeInstancesCommand({}));
    fake.faults.revoke('AKIAFAKECLIKEY000001');
    await assert.rejects(c.ec2.send(new DescribeInstancesCommand({})), { name: 'AuthFailure' });
    await assert.rejects(c.sts.send(new GetCallerIdentityCommand({})), { name: 'InvalidClientTokenId' });
  });

  it('5xx after EC2 acted: the call fails, and a retry with the same ClientToken gets the same instances', async () => {
    fake.faults.failNext({ code: 'InternalError', action: 'RunInstances', afterApplying: true });
    await assert.rejects(c.ec2.send(run({ MaxCount: 2, ClientToken: 'req-1' })), (e: Error & { $metadata?: { httpStatusCode?: number } }) => e.name === 'InternalError' && e.$metadata?.httpStatusCode === 500);
    const launched = [...fake.cloud.instances.keys()];
    assert.equal(launched.length, 2);
    const retry = await c.ec2.send(run({ MaxCount: 2, ClientToken: 'req-1' }));
    assert.deepEqual(retry.Instances?.map((i) => i.InstanceId), launched);
    assert.equal(fake.cloud.instances.size, 2);
  });

  it('5xx before acting (Unavailable 503) launches nothing', async () => {
    fake.faults.failNext({ code: 'Unavailable', action: 'RunInstances' });
    await assert.rejects(c.ec2.send(run()), { name: 'Unavailable' });
    assert.equal(fake.cloud.instances.size, 0);
  });

  it('eventual consistency: a new instance is unlisted (and unknown by id) for N describes', async () => {
    fake.faults.describeLag = 2;
    const id = (await c.ec2.send(run())).Instances?.[0]?.InstanceId ?? '';
    assert.equal((await c.ec2.send(new DescribeInstancesCommand({}))).Reservations?.length, 0);
    await assert.rejects(c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] })), { name: 'InvalidInstanceID.NotFound' });
    assert.equal((await c.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }))).Reservations?.[0]?.Instances?.[0]?.InstanceId, id);
  });

  it('IAM propagation: RunInstances calls a fresh profile invalid until the delay has passed', async () => {
    fake.faults.iamPropagationMs = 8_000;
    await c.iam.send(new CreateRoleCommand({ RoleName: 'head', AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
    await c.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: 'head' }));
    clock.advance(5_000);
    await c.iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: 'head', RoleName: 'head' }));
    clock.advance(7_999);
    await assert.rejects(c.ec2.send(run({ IamInstanceProfile: { Name: 'head' } })), (e: Error) => e.name === 'InvalidParameterValue' && /iamInstanceProfile/.test(e.message));
    clock.advance(1);
    const out = await c.ec2.send(run({ IamInstanceProfile: { Name: 'head' } }));
    assert.match(out.Instances?.[0]?.IamInstanceProfile?.Arn ?? '', /:instance-profile\/head$/);
  });
});
