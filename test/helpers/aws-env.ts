// The SDK reads credentials, endpoints and settings from the environment and ~/.aws. Tests against the fake AWS
// run with all of that emptied, so no test can pick up this machine's credentials or reach a metadata address.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import type { FakeAws } from '../fakes/aws/index.js';

const AWS_VARS = /^AWS_/;

/**
 * Replaces every AWS_* variable with an isolated set: empty config and credentials files, IMDS disabled unless
 * `imdsEndpoint` is given (then the SDK's IMDS provider goes to it, and only to it). Returns the undo.
 */
export function isolateAwsEnv(opts: { imdsEndpoint?: string } = {}): () => void {
  const saved = Object.entries(process.env).filter(([k]) => AWS_VARS.test(k));
  for (const [k] of saved) delete process.env[k];
  const dir = mkdtempSync(join(tmpdir(), 'rl-aws-env-'));
  writeFileSync(join(dir, 'config'), '');
  writeFileSync(join(dir, 'credentials'), '');
  process.env.AWS_CONFIG_FILE = join(dir, 'config');
  process.env.AWS_SHARED_CREDENTIALS_FILE = join(dir, 'credentials');
  // The SDK warns once per process that its releases after January 2027 need Node 22; known, and noise in test logs.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  if (opts.imdsEndpoint === undefined) process.env.AWS_EC2_METADATA_DISABLED = 'true';
  else process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = opts.imdsEndpoint;
  return () => {
    for (const k of Object.keys(process.env)) if (AWS_VARS.test(k)) delete process.env[k];
    for (const [k, v] of saved) process.env[k] = v;
    rmSync(dir, { recursive: true, force: true });
  };
}

export interface StaticCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export const DUMMY_CREDENTIALS: StaticCredentials = { accessKeyId: 'AKIAFAKECLIKEY000001', secretAccessKey: 'fake-secret-for-tests-only' };

export interface AwsClients {
  ec2: EC2Client;
  iam: IAMClient;
  sts: STSClient;
  destroy(): void;
}

/**
 * Real SDK clients pointed at the fake. `credentials: 'chain'` leaves them to the SDK's default chain (what the
 * head uses: IMDS, with the environment isolateAwsEnv set up); retries are off unless asked, so a test sees each
 * answer as the fake gave it.
 */
export function awsClients(fake: FakeAws, opts: { credentials?: StaticCredentials | 'chain'; maxAttempts?: number } = {}): AwsClients {
  const creds = opts.credentials ?? DUMMY_CREDENTIALS;
  const config = { region: 'us-west-2', endpoint: fake.endpoint, maxAttempts: opts.maxAttempts ?? 1, ...(creds === 'chain' ? {} : { credentials: creds }) };
  const ec2 = new EC2Client(config);
  const iam = new IAMClient(config);
  const sts = new STSClient(config);
  return { ec2, iam, sts, destroy: () => { ec2.destroy(); iam.destroy(); sts.destroy(); } };
}
