// How callers reach the fake: the SDK's own AWS_ENDPOINT_URL (one address for EC2, IAM and STS), a chosen bind
// address, never a metadata address; and the SDK's waiters work against it.
import assert from 'node:assert/strict';
import { DescribeInstancesCommand, EC2Client, RunInstancesCommand, waitUntilInstanceRunning } from '@aws-sdk/client-ec2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { after, before, describe, it } from 'mocha';
import { FakeAws } from '../../fakes/aws/index.js';
import { awsClients, DUMMY_CREDENTIALS, isolateAwsEnv } from '../../helpers/aws-env.js';

describe('fake AWS: endpoints', () => {
  let restoreEnv: () => void;
  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());

  it('AWS_ENDPOINT_URL alone sends EC2, IAM and STS to the fake, told apart by the service each call is signed for', async () => {
    const fake = await FakeAws.start({ imds: false });
    process.env.AWS_ENDPOINT_URL = fake.endpoint;
    const config = { region: 'us-west-2', credentials: DUMMY_CREDENTIALS, maxAttempts: 1 };
    const ec2 = new EC2Client(config);
    const iam = new IAMClient(config);
    const sts = new STSClient(config);
    try {
      await ec2.send(new DescribeInstancesCommand({}));
      await assert.rejects(iam.send(new GetRoleCommand({ RoleName: 'none' })), { name: 'NoSuchEntityException' });
      await sts.send(new GetCallerIdentityCommand({}));
      assert.deepEqual(fake.calls.map((c) => [c.service, c.action]), [['ec2', 'DescribeInstances'], ['iam', 'GetRole'], ['sts', 'GetCallerIdentity']]);
    } finally {
      delete process.env.AWS_ENDPOINT_URL;
      ec2.destroy(); iam.destroy(); sts.destroy();
      await fake.close();
    }
  });

  it('binds the API and IMDS to the addresses it is given', async () => {
    const fake = await FakeAws.start({ host: '127.0.0.7', imds: { host: '127.0.0.8' } });
    try {
      assert.match(fake.endpoint, /^http:\/\/127\.0\.0\.7:\d+$/);
      assert.match(fake.imdsEndpoint, /^http:\/\/127\.0\.0\.8:\d+$/);
      const c = awsClients(fake);
      await c.sts.send(new GetCallerIdentityCommand({}));
      c.destroy();
    } finally {
      await fake.close();
    }
  });

  it('refuses to bind a metadata address', async () => {
    for (const host of ['169.254.169.254', 'fd00:ec2::254']) {
      await assert.rejects(FakeAws.start({ host }), /never binds a metadata address/);
      await assert.rejects(FakeAws.start({ imds: { host } }), /never binds a metadata address/);
    }
  });

  it('the SDK\'s instance-running waiter sees the instance run', async () => {
    const fake = await FakeAws.start({ imds: false });
    const c = awsClients(fake);
    try {
      const id = (await c.ec2.send(new RunInstancesCommand({ ImageId: 'ami-0a1b2c3d4e5f60002', InstanceType: 't3.micro', MinCount: 1, MaxCount: 1 }))).Instances?.[0]?.InstanceId ?? '';
      const res = await waitUntilInstanceRunning({ client: c.ec2, maxWaitTime: 30, minDelay: 1 }, { InstanceIds: [id] });
      assert.equal(res.state, 'SUCCESS');
    } finally {
      c.destroy();
      await fake.close();
    }
  });
});
