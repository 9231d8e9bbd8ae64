/**
 * `down`'s last step on AWS, once every instance is terminated: deletes what prepare() created for the cluster
 * (found by the cluster tag, so a group or key the user brought is never touched; the role by its name),
 * retrying while EC2 or IAM still sees it in use, then lists everything of the cluster that is left.
 */
import type { ClusterConfig } from '../../src/config/types.js';
import { CLUSTER_NAME_TAG, type CloudNode } from '../provider.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { headRoleName, HEAD_POLICY_NAME } from './names.js';
import type { AwsClients } from './sdk.js';

export interface CleanUpOptions {
  clients: AwsClients;
  progress(line: string): void;
  sleep(ms: number): Promise<void>;
  now(): number;
  listNodes(): Promise<CloudNode[]>;
  /** How long a resource still in use (a terminating instance holds its security group) is waited for. */
  inUseTimeoutMs?: number;
}

const IN_USE = new Set(['DependencyViolation', 'DeleteConflict', 'InvalidGroup.InUse', 'ResourceInUse']);
const GONE = /NotFound|NoSuchEntity|InvalidGroup\.NotFound|InvalidKeyPair\.NotFound/;

/** Runs a delete until it goes through, the thing is gone, or the time is up (then the error stands). */
async function deleteRetrying(o: CleanUpOptions, what: string, del: () => Promise<unknown>): Promise<void> {
  const deadline = o.now() + (o.inUseTimeoutMs ?? 180_000);
  for (let i = 0; ; i++) {
    try {
      await del();
      o.progress(`${what} deleted`);
      return;
    } catch (e) {
      const code = classifyAwsError(e).code;
      if (GONE.test(code)) return;
      if (!IN_USE.has(code) || o.now() >= deadline) throw toProviderError(e, { action: 'delete', what });
      await o.sleep(Math.min(1000 * 2 ** i, 10_000));
    }
  }
}

export async function cleanUpCluster(config: ClusterConfig, o: CleanUpOptions): Promise<string[]> {
  const { EC2, ec2, IAM, iam } = o.clients;
  const cluster = config.cluster_name;
  const tagged = [{ Name: `tag:${CLUSTER_NAME_TAG}`, Values: [cluster] }];
  const groups = async () => (await ec2.send(new EC2.DescribeSecurityGroupsCommand({ Filters: tagged }))).SecurityGroups ?? [];
  const keys = async () => (await ec2.send(new EC2.DescribeKeyPairsCommand({ Filters: tagged }))).KeyPairs ?? [];
  const role = headRoleName(cluster);
  const exists = (p: Promise<unknown>) => p.then(() => true, (e: unknown) => {
    if (classifyAwsError(e).code === 'NoSuchEntity') return false;
    throw toProviderError(e, { action: 'Get', what: role });
  });
  try {
    // Terminated instances hold their security group until EC2 has them "terminated".
    const deadline = o.now() + (o.inUseTimeoutMs ?? 180_000);
    for (let i = 0; (await o.listNodes()).some((n) => n.status === 'stopping') && o.now() < deadline; i++) await o.sleep(Math.min(500 * 2 ** i, 5000));
    for (const g of await groups()) await deleteRetrying(o, `security group ${g.GroupName ?? ''} (${g.GroupId ?? ''})`, () => ec2.send(new EC2.DeleteSecurityGroupCommand({ GroupId: g.GroupId })));
    for (const k of await keys()) await deleteRetrying(o, `key pair ${k.KeyName ?? ''}`, () => ec2.send(new EC2.DeleteKeyPairCommand({ KeyName: k.KeyName })));
    if (await exists(iam.send(new IAM.GetInstanceProfileCommand({ InstanceProfileName: role })))) {
      await deleteRetrying(o, `role ${role}'s place in its instance profile`, () => iam.send(new IAM.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: role, RoleName: role })));
      await deleteRetrying(o, `instance profile ${role}`, () => iam.send(new IAM.DeleteInstanceProfileCommand({ InstanceProfileName: role })));
    }
    if (await exists(iam.send(new IAM.GetRoleCommand({ RoleName: role })))) {
      await deleteRetrying(o, `policy ${HEAD_POLICY_NAME} of role ${role}`, () => iam.send(new IAM.DeleteRolePolicyCommand({ RoleName: role, PolicyName: HEAD_POLICY_NAME })));
      await deleteRetrying(o, `role ${role}`, () => iam.send(new IAM.DeleteRoleCommand({ RoleName: role })));
    }
    // What is left, looked up afresh: instances in any state but terminated (stopped ones too), and the rest.
    const left: string[] = [];
    for (const n of await o.listNodes()) left.push(`instance ${n.id} (${n.kind} ${n.nodeType}, ${n.status})`);
    for (const g of await groups()) left.push(`security group ${g.GroupId ?? ''} (${g.GroupName ?? ''})`);
    for (const k of await keys()) left.push(`key pair ${k.KeyName ?? ''}`);
    if (await exists(iam.send(new IAM.GetInstanceProfileCommand({ InstanceProfileName: role })))) left.push(`instance profile ${role}`);
    if (await exists(iam.send(new IAM.GetRoleCommand({ RoleName: role })))) left.push(`role ${role}`);
    return left;
  } catch (e) {
    throw toProviderError(e, { action: 'cleaning up', what: `cluster ${cluster}` });
  }
}
