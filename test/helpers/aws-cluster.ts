// An AWS cluster as a user runs it, with nothing real of AWS (test/helpers/cloud-bed.ts): the fake EC2/IAM/STS/IMDS
// on the test bridge, its instances sshd test hosts. Used by the end-to-end test and bench/aws.ts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeAws, SshdHostPool, type FakeAwsOptions } from '../fakes/aws/index.js';
import { DUMMY_CREDENTIALS } from './aws-env.js';
import { BRIDGE_IP, cloudTestBed, exampleConfigFor, type CloudTestBed } from './cloud-bed.js';

export { BRIDGE_CIDR, BRIDGE_IP } from './cloud-bed.js';

/** The CLI's environment: dummy keys, empty AWS files, IMDS off, every AWS endpoint the fake. */
export type AwsTestBed = CloudTestBed<SshdHostPool, FakeAws>;

/** `instances` hosts for the fake to run instances on (head included), plus one for the CLI. */
export function awsTestBed(instances: number, fakeOptions: Omit<FakeAwsOptions, 'host' | 'pool'> = {}): Promise<AwsTestBed> {
  return cloudTestBed(instances, {
    prefix: 'rl-aws-bed-',
    pool: (hosts, machines) => new SshdHostPool(hosts, machines),
    start: (pool) => FakeAws.start({ ...fakeOptions, host: BRIDGE_IP, pool }),
    env: (fake, dir) => {
      writeFileSync(join(dir, 'config'), '');
      writeFileSync(join(dir, 'credentials'), '');
      return {
        AWS_ACCESS_KEY_ID: DUMMY_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: DUMMY_CREDENTIALS.secretAccessKey,
        AWS_CONFIG_FILE: join(dir, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'credentials'),
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: fake.endpoint,
      };
    },
  });
}

/** example-configs/aws-minimal.yaml adapted for the test hosts (exampleConfigFor), with spot workers. */
export function awsConfigFor(name: string, workers: number): string {
  return exampleConfigFor('aws-minimal.yaml', name, workers, {
    head: ['ray.head.default', { InstanceType: 'm5.large' }],
    worker: ['ray.worker.default', { InstanceType: 'm5.large', InstanceMarketOptions: { MarketType: 'spot' } }],
  });
}
