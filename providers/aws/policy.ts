/**
 * The head's IAM policy: only what the head's autoscaler calls, and only on this cluster's resources. Far
 * narrower than Ray's AmazonEC2FullAccess: no DescribeInstanceAttribute (UserData holds the nodes' SSH host
 * keys), RunInstances only for instances and volumes tagged with this cluster at creation and only with the
 * subnets, security groups, images and key pair `up` chose, tags only at launch, and Terminate/Stop/Start only
 * on instances tagged with this cluster. Pure; pinned by a golden-file test and printed in the README.
 */
import { CLUSTER_NAME_TAG } from '../provider.js';

export interface HeadPolicyInput {
  cluster: string;
  partition: string;
  region: string;
  account: string;
  subnetIds: readonly string[];
  securityGroupIds: readonly string[];
  imageIds: readonly string[];
  keyName?: string;
  /** Some worker type runs on spot. */
  spot: boolean;
  /** Roles behind the workers' instance profiles (node_config.IamInstanceProfile), if any. */
  workerRoleArns: readonly string[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: { Sid: string; Effect: 'Allow'; Action: string | string[]; Resource: string | string[]; Condition?: Record<string, Record<string, string>> }[];
}

const sorted = (xs: readonly string[]) => [...new Set(xs)].sort();

export function headPolicy(p: HeadPolicyInput): PolicyDocument {
  const arn = (type: string, id: string, account = p.account) => `arn:${p.partition}:ec2:${p.region}:${account}:${type}/${id}`;
  const tagged = [arn('instance', '*'), arn('volume', '*')];
  const statements: PolicyDocument['Statement'] = [
    // listNodes: one DescribeInstances filtered by the cluster tag (Describe calls take no resource-level conditions).
    { Sid: 'ListClusterInstances', Effect: 'Allow', Action: 'ec2:DescribeInstances', Resource: '*' },
    {
      Sid: 'LaunchTaggedInstances', Effect: 'Allow', Action: 'ec2:RunInstances', Resource: tagged,
      Condition: { StringEquals: { [`aws:RequestTag/${CLUSTER_NAME_TAG}`]: p.cluster } },
    },
    {
      Sid: 'LaunchWithClusterResources', Effect: 'Allow', Action: 'ec2:RunInstances',
      Resource: [
        ...sorted(p.subnetIds).map((id) => arn('subnet', id)),
        ...sorted(p.securityGroupIds).map((id) => arn('security-group', id)),
        ...sorted(p.imageIds).map((id) => arn('image', id, '')),
        ...(p.keyName ? [arn('key-pair', p.keyName)] : []),
        arn('network-interface', '*'),
        ...(p.spot ? [arn('spot-instances-request', '*')] : []),
      ],
    },
    {
      Sid: 'TagAtLaunchOnly', Effect: 'Allow', Action: 'ec2:CreateTags', Resource: tagged,
      Condition: { StringEquals: { 'ec2:CreateAction': 'RunInstances' } },
    },
    {
      Sid: 'ManageClusterInstances', Effect: 'Allow', Action: ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances'], Resource: arn('instance', '*'),
      Condition: { StringEquals: { [`ec2:ResourceTag/${CLUSTER_NAME_TAG}`]: p.cluster } },
    },
  ];
  if (p.spot) {
    // The first spot launch of an account creates EC2's spot service-linked role; nothing else may be created.
    statements.push({
      Sid: 'SpotServiceLinkedRole', Effect: 'Allow', Action: 'iam:CreateServiceLinkedRole', Resource: `arn:${p.partition}:iam::${p.account}:role/aws-service-role/spot.amazonaws.com/*`,
      Condition: { StringLike: { 'iam:AWSServiceName': 'spot.amazonaws.com' } },
    });
  }
  if (p.workerRoleArns.length > 0) {
    statements.push({ Sid: 'PassWorkerRole', Effect: 'Allow', Action: 'iam:PassRole', Resource: sorted(p.workerRoleArns) });
  }
  return { Version: '2012-10-17', Statement: statements };
}

/** Lets EC2 instances take the role (through the instance profile). */
export const EC2_TRUST_POLICY = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
} as const;
