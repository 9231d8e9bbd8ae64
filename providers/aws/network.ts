/**
 * prepare()'s network steps: the subnets nodes launch in and the cluster's security group (SSH only from this
 * machine's public address, all traffic between the cluster's own nodes, and the user's extra rules).
 */
import type { IpPermission, SecurityGroup, Subnet } from '@aws-sdk/client-ec2';
import type { AwsProviderConfig } from '../../src/config/types.js';
import { ProviderConfigError } from '../errors.js';
import { CLUSTER_NAME_TAG } from '../provider.js';
import { chooseSubnets, parseZones, type SubnetChoice } from './choose.js';
import { classifyAwsError, toProviderError } from './errors.js';
import { securityGroupName } from './names.js';
import type { AwsClients } from './sdk.js';

const fail = (action: string, what: string) => (e: unknown): never => {
  throw toProviderError(e, { action, what });
};

/** The subnets for node types that name none: the default VPC's, in the configured zones. */
export async function findSubnets(c: AwsClients, p: AwsProviderConfig, named: readonly string[]): Promise<SubnetChoice> {
  const { EC2, ec2 } = c;
  if (named.length > 0) {
    // The user's subnets decide the VPC (the security group must be in it).
    const out = await ec2.send(new EC2.DescribeSubnetsCommand({ SubnetIds: [...named] })).catch(fail('DescribeSubnets', named.join(', ')));
    const vpcs = [...new Set((out.Subnets ?? []).map((s) => s.VpcId ?? ''))];
    if (vpcs.length !== 1 || !vpcs[0]) throw new ProviderConfigError(`node_config subnets ${named.join(', ')} must all be in one VPC (they are in ${vpcs.join(', ') || 'none'})`);
    return chooseSubnets(vpcs[0], out.Subnets ?? [], [], true);
  }
  const vpcs = await ec2.send(new EC2.DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] })).catch(fail('DescribeVpcs', 'the default VPC'));
  const vpcId = vpcs.Vpcs?.[0]?.VpcId;
  if (!vpcId) {
    throw new ProviderConfigError(`region ${p.region} has no default VPC`, { hint: 'name the subnets to launch in with node_config.SubnetIds in every node type' });
  }
  const subnets: Subnet[] = [];
  for await (const page of EC2.paginateDescribeSubnets({ client: ec2 }, { Filters: [{ Name: 'vpc-id', Values: [vpcId] }] })) subnets.push(...(page.Subnets ?? []));
  return chooseSubnets(vpcId, subnets, parseZones(p.availability_zone), p.use_internal_ips);
}

/**
 * The cluster's security group in the VPC, created when missing; its SSH rule follows this machine's address
 * (each `up` replaces the previous one), and its members reach each other on every port.
 */
export async function ensureSecurityGroup(c: AwsClients, cluster: string, p: AwsProviderConfig, vpcId: string, cidr: string, progress: (l: string) => void): Promise<string> {
  const { EC2, ec2 } = c;
  const name = p.security_group?.GroupName ?? securityGroupName(cluster);
  const listed = await ec2.send(new EC2.DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [name] }, { Name: 'vpc-id', Values: [vpcId] }] }))
    .catch(fail('DescribeSecurityGroups', name));
  let group: SecurityGroup | undefined = listed.SecurityGroups?.[0];
  let id = group?.GroupId;
  if (!id) {
    const created = await ec2.send(new EC2.CreateSecurityGroupCommand({
      GroupName: name, VpcId: vpcId, Description: `raylaunch cluster ${cluster}: SSH from the operator, all traffic within the cluster`,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: [{ Key: CLUSTER_NAME_TAG, Value: cluster }] }],
    })).catch(fail('CreateSecurityGroup', name));
    id = created.GroupId ?? '';
    group = undefined;
    progress(`security group ${name} (${id}) created in ${vpcId}`);
  } else {
    progress(`security group ${name} (${id}) found in ${vpcId}`);
  }
  const have = group?.IpPermissions ?? [];
  const sshElsewhere = have.filter((r) => r.IpProtocol === 'tcp' && r.FromPort === 22 && r.ToPort === 22)
    .map((r) => ({ ...r, IpRanges: (r.IpRanges ?? []).filter((x) => x.CidrIp !== cidr), Ipv6Ranges: (r.Ipv6Ranges ?? []).filter((x) => x.CidrIpv6 !== cidr), UserIdGroupPairs: [], PrefixListIds: [] }))
    .filter((r) => r.IpRanges.length + r.Ipv6Ranges.length > 0);
  if (sshElsewhere.length > 0) {
    await ec2.send(new EC2.RevokeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: sshElsewhere })).catch(fail('RevokeSecurityGroupIngress', name));
    progress(`security group ${name}: SSH from ${sshElsewhere.flatMap((r) => [...r.IpRanges.map((x) => x.CidrIp), ...r.Ipv6Ranges.map((x) => x.CidrIpv6)]).join(', ')} removed`);
  }
  const ssh: IpPermission = { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, ...(cidr.includes(':') ? { Ipv6Ranges: [{ CidrIpv6: cidr, Description: 'raylaunch: SSH from the operator' }] } : { IpRanges: [{ CidrIp: cidr, Description: 'raylaunch: SSH from the operator' }] }) };
  const self: IpPermission = { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: id, Description: 'raylaunch: within the cluster' }] };
  const own = (p.security_group?.IpPermissions ?? []) as IpPermission[];
  for (const rule of [ssh, self, ...own]) {
    await ec2.send(new EC2.AuthorizeSecurityGroupIngressCommand({ GroupId: id, IpPermissions: [rule] })).catch((e: unknown) => {
      if (classifyAwsError(e).code !== 'InvalidPermission.Duplicate') fail('AuthorizeSecurityGroupIngress', name)(e);
    });
  }
  progress(`security group ${name}: SSH from ${cidr} only, all traffic between the cluster's nodes${own.length ? `, ${own.length} rule(s) of provider.security_group` : ''}`);
  return id;
}
