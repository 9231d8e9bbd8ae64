/**
 * The AWS SDK, loaded only when an aws cluster is used (the clients take hundreds of milliseconds to import).
 * Credentials come from the SDK's default chain (environment, AWS_PROFILE and the shared files, SSO, and on the
 * head the instance profile through IMDSv2); endpoints from the SDK's own AWS_ENDPOINT_URL(_EC2/_IAM/_STS)
 * variables. raylaunch writes no signing, retry or credential code of its own.
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsProviderConfig } from '../../src/config/types.js';

export type Ec2Sdk = typeof import('@aws-sdk/client-ec2');
export type IamSdk = typeof import('@aws-sdk/client-iam');
export type StsSdk = typeof import('@aws-sdk/client-sts');

export interface AwsClients {
  ec2: EC2Client;
  iam: IAMClient;
  sts: STSClient;
  EC2: Ec2Sdk;
  IAM: IamSdk;
  STS: StsSdk;
  destroy(): void;
}

/**
 * The SDK's own retries, set deliberately: 'standard' mode retries throttling, 5xx and timeouts with jittered
 * backoff (3 attempts in all; a RunInstances repeat carries the same ClientToken, so it cannot launch twice),
 * and every request has a deadline, so a dead endpoint surfaces as an unknown outcome instead of a hang.
 */
const CLIENT_DEFAULTS = {
  maxAttempts: 3,
  retryMode: 'standard',
  requestHandler: { connectionTimeout: 5_000, requestTimeout: 30_000 },
} as const;

/**
 * The SDK warns on every Node.js below 22 (NodeVersionSupportWarning: its releases after the first week of
 * January 2027 need Node.js 22). raylaunch pins Node.js 20 on nodes and supports it for the CLI, and the SDK
 * release it pins (package-lock.json) runs on Node.js 20, so the warning only tells users of something that
 * does not apply to them, on every command. Silenced here, in the CLI and the head alike (both load the SDK
 * only through loadAws), unless the user set the variable; README "AWS: the SDK and Node.js 20" says until when.
 */
export function silenceNodeVersionWarning(env: NodeJS.ProcessEnv = process.env): void {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export async function loadAws(provider: AwsProviderConfig): Promise<AwsClients> {
  silenceNodeVersionWarning();
  const [EC2, IAM, STS] = await Promise.all([import('@aws-sdk/client-ec2'), import('@aws-sdk/client-iam'), import('@aws-sdk/client-sts')]);
  const c = provider.aws_credentials;
  // Keys in the config (Ray's aws_credentials) are used by the CLI only; nodeConfig() leaves them out of every node.
  const credentials = c?.aws_access_key_id && c.aws_secret_access_key
    ? { credentials: { accessKeyId: c.aws_access_key_id, secretAccessKey: c.aws_secret_access_key, ...(c.aws_session_token ? { sessionToken: c.aws_session_token } : {}) } }
    : {};
  const profile = c?.profile_name ? { profile: c.profile_name } : {};
  const base = { ...CLIENT_DEFAULTS, region: provider.region, ...credentials, ...profile };
  const ec2 = new EC2.EC2Client(base);
  const iam = new IAM.IAMClient(base);
  const sts = new STS.STSClient(base);
  return { ec2, iam, sts, EC2, IAM, STS, destroy: () => { ec2.destroy(); iam.destroy(); sts.destroy(); } };
}
