// Zones, VPCs, subnets, security groups and their rules.
import { authorize } from '../authz.js';
import { allTraffic, type Cloud, type Principal } from '../cloud.js';
import { ApiError } from '../errors.js';
import type { Call } from '../handler.js';
import { num, str, strings, trees, type QueryTree } from '../wire/query.js';
import type { XmlObject } from '../wire/xml.js';
import { checkFilterNames, matchesFilters, paginate, readFilters, tagAttributes, type Attributes } from './filters.js';
import type { Rule, SecurityGroup } from './model.js';
import { groupXml, tagSet } from './render.js';
import { readTagSpecs } from './run.js';

/** The items whose id the call names (each must exist) or all, then filtered. */
function select<T>(items: T[], ids: string[], idOf: (t: T) => string, notFound: (id: string) => ApiError, filters: ReturnType<typeof readFilters>, attrs: (t: T) => Attributes): T[] {
  for (const id of ids) if (!items.some((t) => idOf(t) === id)) throw notFound(id);
  const named = ids.length === 0 ? items : items.filter((t) => ids.includes(idOf(t)));
  const first = items[0];
  if (first !== undefined) checkFilterNames(filters, attrs(first));
  return named.filter((t) => matchesFilters(filters, attrs(t)));
}

export function describeAvailabilityZones({ cloud, p }: Call): XmlObject {
  const names = strings(p, 'ZoneName');
  const zones = select(cloud.zones, names, (z) => z.name, (id) => new ApiError('InvalidParameterValue', `Invalid availability zone: [${id}]`), readFilters(p),
    (z) => (n) => ({ 'zone-name': [z.name], 'zone-id': [z.id], 'region-name': [cloud.opts.region], state: ['available'], 'zone-type': ['availability-zone'] })[n]);
  return {
    availabilityZoneInfo: zones.map((z) => ({
      zoneName: z.name, zoneState: 'available', regionName: cloud.opts.region, zoneId: z.id, zoneType: 'availability-zone',
      optInStatus: 'opt-in-not-required', groupName: cloud.opts.region, networkBorderGroup: cloud.opts.region, messageSet: [],
    })),
  };
}

export function describeVpcs({ cloud, p }: Call): XmlObject {
  const vpcs = select(cloud.vpcs, strings(p, 'VpcId'), (v) => v.id, (id) => new ApiError('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`), readFilters(p),
    (v) => (n) => ({ 'vpc-id': [v.id], 'is-default': [String(v.isDefault)], 'cidr': [v.cidr], 'cidr-block': [v.cidr], state: ['available'] })[n] ?? tagAttributes(cloud.tagsOf(v.id), n));
  const page = paginate(vpcs, p, cloud.opts.pageSize);
  return {
    vpcSet: page.items.map((v) => ({ vpcId: v.id, ownerId: cloud.account, state: 'available', cidrBlock: v.cidr, dhcpOptionsId: 'dopt-0fake', instanceTenancy: 'default', isDefault: v.isDefault, tagSet: tagSet(cloud.tags.get(v.id)) })),
    nextToken: page.nextToken,
  };
}

export function describeSubnets({ cloud, p }: Call): XmlObject {
  const subnets = select(cloud.subnets, strings(p, 'SubnetId'), (s) => s.id, (id) => new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`), readFilters(p),
    (s) => (n) => ({
      'subnet-id': [s.id], 'vpc-id': [s.vpcId], 'availability-zone': [s.zone], 'default-for-az': [String(s.defaultForAz)], 'defaultForAz': [String(s.defaultForAz)],
      'map-public-ip-on-launch': [String(s.mapPublicIpOnLaunch)], 'cidr-block': [s.cidr], state: ['available'],
    })[n] ?? tagAttributes(cloud.tagsOf(s.id), n));
  const page = paginate(subnets, p, cloud.opts.pageSize);
  return {
    subnetSet: page.items.map((s) => ({
      subnetId: s.id, subnetArn: cloud.arn('subnet', s.id), state: 'available', vpcId: s.vpcId, ownerId: cloud.account, cidrBlock: s.cidr,
      availableIpAddressCount: 4091, availabilityZone: s.zone, availabilityZoneId: cloud.zones.find((z) => z.name === s.zone)?.id,
      defaultForAz: s.defaultForAz, mapPublicIpOnLaunch: s.mapPublicIpOnLaunch, tagSet: tagSet(cloud.tags.get(s.id)),
    })),
    nextToken: page.nextToken,
  };
}

const groupNotFound = (id: string): ApiError => new ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);

function groupContext(cloud: Cloud, id: string): Record<string, string> {
  return Object.fromEntries([...cloud.tagsOf(id)].map(([k, v]) => [`ec2:ResourceTag/${k}`, v]));
}

function findGroup(cloud: Cloud, p: QueryTree): SecurityGroup {
  const id = str(p, 'GroupId');
  const name = str(p, 'GroupName');
  const g = id !== undefined ? cloud.groups.get(id) : [...cloud.groups.values()].find((x) => x.name === name && cloud.vpcs.find((v) => v.id === x.vpcId)?.isDefault === true);
  if (g === undefined) throw groupNotFound(id ?? name ?? '');
  return g;
}

export function createSecurityGroup({ cloud, p, who }: Call): XmlObject {
  const name = str(p, 'GroupName');
  const description = str(p, 'GroupDescription') ?? str(p, 'Description');
  if (name === undefined || description === undefined) throw new ApiError('MissingParameter', `The request must contain the parameter ${name === undefined ? 'groupName' : 'groupDescription'}`);
  const vpcId = str(p, 'VpcId') ?? cloud.vpcs.find((v) => v.isDefault)?.id ?? '';
  if (!cloud.vpcs.some((v) => v.id === vpcId)) throw new ApiError('InvalidVpcID.NotFound', `The vpc ID '${vpcId}' does not exist`);
  if (name.startsWith('sg-')) throw new ApiError('InvalidParameterValue', "Group names may not be in the format sg-*.");
  if ([...cloud.groups.values()].some((g) => g.name === name && g.vpcId === vpcId)) throw new ApiError('InvalidGroup.Duplicate', `The security group '${name}' already exists for VPC '${vpcId}'`);
  const tags = readTagSpecs(p, ['security-group']).get('security-group');
  authorize(cloud, who, 'ec2', [{ action: 'ec2:CreateSecurityGroup', resource: cloud.arn('security-group', '*'), context: Object.fromEntries([...(tags ?? [])].map(([k, v]) => [`aws:RequestTag/${k}`, v])) }]);
  const id = cloud.newId('sg-');
  cloud.groups.set(id, { id, name, description, vpcId, ingress: [], egress: [allTraffic()] });
  if (tags !== undefined) cloud.tags.set(id, new Map(tags));
  return { return: true, groupId: id, securityGroupArn: cloud.arn('security-group', id), tagSet: tagSet(tags) };
}

export function deleteSecurityGroup({ cloud, p, who }: Call): XmlObject {
  const g = findGroup(cloud, p);
  authorize(cloud, who, 'ec2', [{ action: 'ec2:DeleteSecurityGroup', resource: cloud.arn('security-group', g.id), context: groupContext(cloud, g.id) }]);
  if (g.name === 'default') throw new ApiError('CannotDelete', `the specified group: "${g.id}" name: "default" cannot be deleted by a user`);
  // An instance holds its groups until it is fully terminated; so does a rule of another group naming this one.
  const user = [...cloud.instances.values()].find((i) => i.state !== 'terminated' && i.groupIds.includes(g.id));
  const referrer = [...cloud.groups.values()].find((o) => o.id !== g.id && [...o.ingress, ...o.egress].some((r) => r.groups.some((x) => x.groupId === g.id)));
  if (user !== undefined || referrer !== undefined) throw new ApiError('DependencyViolation', `resource ${g.id} has a dependent object`);
  cloud.groups.delete(g.id);
  cloud.tags.delete(g.id);
  return { return: true, groupId: g.id };
}

export function describeSecurityGroups({ cloud, p }: Call): XmlObject {
  const names = strings(p, 'GroupName');
  const all = [...cloud.groups.values()];
  for (const n of names) if (!all.some((g) => g.name === n)) throw groupNotFound(n);
  const groups = select(all, strings(p, 'GroupId'), (g) => g.id, groupNotFound, readFilters(p),
    (g) => (n) => ({ 'group-id': [g.id], 'group-name': [g.name], 'vpc-id': [g.vpcId], description: [g.description], 'owner-id': [cloud.account] })[n] ?? tagAttributes(cloud.tagsOf(g.id), n))
    .filter((g) => names.length === 0 || names.includes(g.name));
  const page = paginate(groups, p, cloud.opts.pageSize);
  return { securityGroupInfo: page.items.map((g) => groupXml(cloud, g)), nextToken: page.nextToken };
}

function readRules(cloud: Cloud, p: QueryTree): Rule[] {
  const port = (n: number | undefined): number | undefined => n;
  const rules: Rule[] = trees(p, 'IpPermissions').map((perm) => ({
    protocol: str(perm, 'IpProtocol') ?? '-1',
    fromPort: port(num(perm, 'FromPort')),
    toPort: port(num(perm, 'ToPort')),
    cidrs: trees(perm, 'IpRanges').map((r) => ({ cidr: str(r, 'CidrIp') ?? '', description: str(r, 'Description') })),
    groups: trees(perm, 'Groups').map((r) => ({ groupId: str(r, 'GroupId') ?? '', description: str(r, 'Description') })),
  }));
  const cidr = str(p, 'CidrIp');
  const source = str(p, 'SourceSecurityGroupName');
  if (cidr !== undefined || source !== undefined) {
    const src = source === undefined ? undefined : [...cloud.groups.values()].find((g) => g.name === source);
    if (source !== undefined && src === undefined) throw groupNotFound(source);
    rules.push({ protocol: str(p, 'IpProtocol') ?? '-1', fromPort: num(p, 'FromPort'), toPort: num(p, 'ToPort'), cidrs: cidr === undefined ? [] : [{ cidr }], groups: src === undefined ? [] : [{ groupId: src.id }] });
  }
  if (rules.length === 0) throw new ApiError('MissingParameter', 'No ip permissions were given.');
  for (const r of rules) {
    for (const c of r.cidrs) if (!/^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/.test(c.cidr)) throw new ApiError('InvalidParameterValue', `CIDR block ${c.cidr} is malformed`);
    for (const g of r.groups) if (!cloud.groups.has(g.groupId)) throw groupNotFound(g.groupId);
    if (r.protocol !== '-1' && (r.fromPort === undefined || r.toPort === undefined)) throw new ApiError('InvalidParameterValue', `Invalid value: ports are required for protocol ${r.protocol}`);
  }
  return rules;
}

/** Each (protocol, ports, source) pair as its own rule, the unit EC2 calls a duplicate. */
function pairs(rules: Rule[]): string[] {
  return rules.flatMap((r) => [...r.cidrs.map((c) => `cidr:${c.cidr}`), ...r.groups.map((g) => `group:${g.groupId}`)].map((src) => `${r.protocol}:${r.fromPort ?? -1}:${r.toPort ?? -1}:${src}`));
}

function changeIngress(call: Call, action: 'AuthorizeSecurityGroupIngress' | 'RevokeSecurityGroupIngress'): XmlObject {
  const { cloud, p, who } = call;
  const g = findGroup(cloud, p);
  const rules = readRules(cloud, p);
  authorize(cloud, who as Principal, 'ec2', [{ action: `ec2:${action}`, resource: cloud.arn('security-group', g.id), context: groupContext(cloud, g.id) }]);
  const have = new Set(pairs(g.ingress));
  if (action === 'AuthorizeSecurityGroupIngress') {
    const dup = pairs(rules).find((k) => have.has(k));
    if (dup !== undefined) throw new ApiError('InvalidPermission.Duplicate', `the specified rule "${dup}" already exists`);
    g.ingress.push(...rules);
  } else {
    const gone = new Set(pairs(rules));
    const missing = [...gone].find((k) => !have.has(k));
    if (missing !== undefined) throw new ApiError('InvalidPermission.NotFound', `The specified rule does not exist in this security group (${missing}).`);
    g.ingress = g.ingress
      .map((r) => ({ ...r, cidrs: r.cidrs.filter((c) => !gone.has(pairs([{ ...r, cidrs: [c], groups: [] }])[0] as string)), groups: r.groups.filter((x) => !gone.has(pairs([{ ...r, cidrs: [], groups: [x] }])[0] as string)) }))
      .filter((r) => r.cidrs.length + r.groups.length > 0);
  }
  return {
    return: true,
    securityGroupRuleSet: action === 'AuthorizeSecurityGroupIngress'
      ? rules.flatMap((r) => [...r.cidrs.map((c) => ({ cidrIpv4: c.cidr })), ...r.groups.map((x) => ({ referencedGroupInfo: { groupId: x.groupId, userId: cloud.account } }))].map((src) => ({
        securityGroupRuleId: cloud.newId('sgr-'), groupId: g.id, groupOwnerId: cloud.account, isEgress: false, ipProtocol: r.protocol, fromPort: r.fromPort ?? -1, toPort: r.toPort ?? -1, ...src,
      })))
      : undefined,
  };
}

export const authorizeSecurityGroupIngress = (call: Call): XmlObject => changeIngress(call, 'AuthorizeSecurityGroupIngress');
export const revokeSecurityGroupIngress = (call: Call): XmlObject => changeIngress(call, 'RevokeSecurityGroupIngress');
