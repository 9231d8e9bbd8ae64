/**
 * prepare()'s identity steps: who the caller is (STS), the cluster's key pair (generated here, private key 0600 in
 * the cluster's state folder), and the head's role and instance profile with the narrow policy (policy.ts).
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { ed25519KeyPair } from '../../src/common/ed25519.js';
import { ProviderConfigError } from '../errors.js';
import { CLUSTER_NAME_TAG } from '../provider.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { headRoleName, HEAD_POLICY_NAME, keyPairName } from './names.js';
import { EC2_TRUST_POLICY, type PolicyDocument } from './policy.js';
import type { AwsClients } from './sdk.js';

export interface CallerIdentity {
  account: string;
  partition: string;
}

/** The account and partition of the credentials; the first call, so missing or expired credentials stop `up` here. */
export async function callerIdentity(c: AwsClients): Promise<CallerIdentity> {
  try {
    const out = await c.sts.send(new c.STS.GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', partition: out.Arn?.split(':')[1] || 'aws' };
  } catch (e) {
    throw toProviderError(e, { action: 'GetCallerIdentity', what: 'checking the AWS credentials' });
  }
}

/** Written under a fresh name with mode 0600 from its creation, then renamed into place. */
function writePrivateFile(path: string, content: string): void {
  const tmp = `${path}.tmp`;
  rmSync(tmp, { force: true });
  writeFileSync(tmp, content, { mode: 0o600, flag: 'wx' });
  renameSync(tmp, path);
}

/** The cluster's generated key, kept beside its other secrets. */
export const generatedKeyPath = (stateDir: string) => join(stateDir, 'aws_ssh_key');

/**
 * The key pair nodes take their login key from: the private key file (auth.ssh_private_key, else one generated
 * here), its public half imported to EC2 under a name derived from it, so the name always matches the file.
 */
export async function ensureKeyPair(c: AwsClients, o: { cluster: string; base: string; privateKeyPath: string | undefined; stateDir: string; progress(l: string): void }): Promise<{ keyName: string; privateKeyPath: string }> {
  const path = o.privateKeyPath ?? generatedKeyPath(o.stateDir);
  let publicKey: string;
  if (existsSync(path)) {
    const parsed = ssh2.utils.parseKey(readFileSync(path));
    const key = Array.isArray(parsed) ? parsed[0] : parsed;
    if (!key || key instanceof Error) throw new ProviderConfigError(`cannot read the private key ${path}: ${key instanceof Error ? key.message : 'no key'}`, { hint: 'auth.ssh_private_key must be an unencrypted private key (OpenSSH or PEM)' });
    publicKey = `${key.type} ${key.getPublicSSH().toString('base64')}`;
  } else if (o.privateKeyPath) {
    throw new ProviderConfigError(`auth.ssh_private_key ${path} does not exist`, { hint: 'name an existing key, or leave auth.ssh_private_key out and raylaunch creates one' });
  } else {
    const k = ed25519KeyPair(`raylaunch-${o.cluster}`);
    writePrivateFile(path, k.private);
    publicKey = k.public.trim().split(/\s+/).slice(0, 2).join(' ');
    o.progress(`SSH key generated: ${path}`);
  }
  const keyName = keyPairName(o.base, publicKey);
  const { EC2, ec2 } = c;
  try {
    await ec2.send(new EC2.DescribeKeyPairsCommand({ KeyNames: [keyName] }));
    o.progress(`key pair ${keyName} found`);
  } catch (e) {
    if (classifyAwsError(e).code !== 'InvalidKeyPair.NotFound') throw toProviderError(e, { action: 'DescribeKeyPairs', what: keyName });
    await ec2.send(new EC2.ImportKeyPairCommand({
      KeyName: keyName, PublicKeyMaterial: Buffer.from(publicKey),
      TagSpecifications: [{ ResourceType: 'key-pair', Tags: [{ Key: CLUSTER_NAME_TAG, Value: o.cluster }] }],
    })).catch((err: unknown) => {
      if (classifyAwsError(err).code !== 'InvalidKeyPair.Duplicate') throw toProviderError(err, { action: 'ImportKeyPair', what: keyName });
    });
    o.progress(`key pair ${keyName} imported`);
  }
  return { keyName, privateKeyPath: path };
}

const notFound = (e: unknown) => classifyAwsError(e).code === 'NoSuchEntity';

/** The head's role (trusting EC2) with its inline policy, and an instance profile holding it; named for the cluster. */
export async function ensureHeadRole(c: AwsClients, cluster: string, policy: PolicyDocument, progress: (l: string) => void): Promise<string> {
  const { IAM, iam } = c;
  const name = headRoleName(cluster);
  const tags = [{ Key: CLUSTER_NAME_TAG, Value: cluster }];
  const step = <T>(action: string, p: Promise<T>) => p.catch((e: unknown) => {
    throw toProviderError(e, { action, what: name });
  });
  const role = await iam.send(new IAM.GetRoleCommand({ RoleName: name })).catch((e: unknown) => {
    if (notFound(e)) return undefined;
    throw toProviderError(e, { action: 'GetRole', what: name });
  });
  if (!role) {
    await step('CreateRole', iam.send(new IAM.CreateRoleCommand({
      RoleName: name, AssumeRolePolicyDocument: JSON.stringify(EC2_TRUST_POLICY), Tags: tags, Description: `raylaunch: the head of cluster ${cluster}`,
    })));
  }
  // Put every time: the policy names this run's subnets, security group and images.
  await step('PutRolePolicy', iam.send(new IAM.PutRolePolicyCommand({ RoleName: name, PolicyName: HEAD_POLICY_NAME, PolicyDocument: JSON.stringify(policy) })));
  const profile = await iam.send(new IAM.GetInstanceProfileCommand({ InstanceProfileName: name })).catch((e: unknown) => {
    if (notFound(e)) return undefined;
    throw toProviderError(e, { action: 'GetInstanceProfile', what: name });
  });
  if (!profile) await step('CreateInstanceProfile', iam.send(new IAM.CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: tags })));
  if (!profile?.InstanceProfile?.Roles?.some((r) => r.RoleName === name)) {
    await step('AddRoleToInstanceProfile', iam.send(new IAM.AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: name })));
  }
  progress(`head role and instance profile ${name} ${role && profile ? 'found' : 'created'}; its policy allows only what the head's autoscaler calls`);
  return name;
}

/** The roles behind the workers' own instance profiles: the head may pass only these. */
export async function profileRoles(c: AwsClients, profiles: readonly string[]): Promise<string[]> {
  const arns: string[] = [];
  for (const p of profiles) {
    const name = p.includes(':instance-profile/') ? (p.split('/').pop() ?? p) : p;
    const out = await c.iam.send(new c.IAM.GetInstanceProfileCommand({ InstanceProfileName: name })).catch((e: unknown) => {
      throw toProviderError(e, { action: 'GetInstanceProfile', what: `a worker's IamInstanceProfile ${name}` });
    });
    arns.push(...(out.InstanceProfile?.Roles ?? []).map((r) => r.Arn ?? '').filter((a) => a !== ''));
  }
  return arns;
}
