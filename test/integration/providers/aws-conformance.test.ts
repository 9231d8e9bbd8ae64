// The AWS provider passes the conformance suite every provider passes, against the fake AWS through the real SDK.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { after, before, describe } from 'mocha';
import { createProvider } from '../../../providers/index.js';
import type { AwsProvider } from '../../../providers/aws/index.js';
import { applyDefaults } from '../../../src/config/defaults.js';
import { FakeAws, InMemoryHostPool } from '../../fakes/aws/index.js';
import { awsClients, DUMMY_CREDENTIALS, isolateAwsEnv } from '../../helpers/aws-env.js';
import { providerConformance } from './conformance.js';

// Inside a describe: hooks at a file's top level are the root suite's, which would keep the isolated HOME and
// variables for every test of the run (and break the ones that read `~` on a test host).
describe('the AWS provider, its environment isolated', () => {
  let restoreEnv: () => void = () => undefined;
  before(() => { restoreEnv = isolateAwsEnv(); });
  after(() => restoreEnv());
  providerConformance('aws (fake AWS, real SDK)', async () => {
    const fake = await FakeAws.start({ pool: new InMemoryHostPool(Array.from({ length: 40 }, (_, i) => `127.0.6.${i + 1}`)) });
    Object.assign(process.env, { AWS_ENDPOINT_URL: fake.endpoint, AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey });
    const dir = mkdtempSync(join(tmpdir(), 'rl-aws-conf-'));
    const given = applyDefaults({
      cluster_name: `conf-${Math.random().toString(36).slice(2, 8)}`, max_workers: 20, head_node_type: 'head_type',
      provider: { type: 'aws', region: 'us-west-2' }, raylaunch: { ssh_ingress_cidr: '10.9.0.0/24' },
      available_node_types: { head_type: { node_config: { InstanceType: 't3.micro' }, resources: {} }, cpu_small: { node_config: { InstanceType: 't3.micro' }, resources: {}, min_workers: 0, max_workers: 20 } },
    });
    const provider = await createProvider(given, { clusterName: given.cluster_name, stateDir: dir, nodeEnv: {}, entry: () => '/none.js' }) as AwsProvider;
    await provider.prepare(given, () => undefined);
    const admin = awsClients(fake);
    return {
      provider,
      crash: async (id) => { await admin.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] })); },
      cleanup: async () => {
        provider.close();
        admin.destroy();
        await fake.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});
