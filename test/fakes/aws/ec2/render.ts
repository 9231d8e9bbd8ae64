// EC2's response shapes for the resources the fake keeps (element names as the SDK's deserializer reads them).
import type { Cloud } from '../cloud.js';
import type { XmlObject, XmlValue } from '../wire/xml.js';
import { STATE_CODE, type InstanceStateName } from './lifecycle.js';
import type { Instance, Rule, SecurityGroup, Tags } from './model.js';

export function tagSet(tags: Tags | undefined): XmlValue {
  return [...(tags ?? new Map<string, string>())].map(([key, value]) => ({ key, value }));
}

export function stateXml(name: InstanceStateName): XmlObject {
  return { code: STATE_CODE[name], name };
}

const dnsName = (cloud: Cloud, ip: string | undefined): string => (ip === undefined ? '' : `ip-${ip.replace(/\./g, '-')}.${cloud.opts.region}.compute.internal`);

export function instanceXml(cloud: Cloud, i: Instance): XmlObject {
  const group = (id: string): XmlObject => ({ groupId: id, groupName: cloud.groups.get(id)?.name ?? '' });
  const runs = i.state === 'running';
  const profile = i.profileName === undefined ? undefined : cloud.profiles.get(i.profileName);
  return {
    instanceId: i.id,
    imageId: i.imageId,
    instanceState: stateXml(i.state),
    privateDnsName: dnsName(cloud, i.privateIp),
    dnsName: runs ? dnsName(cloud, i.lease?.publicIp) : '',
    reason: i.history.at(-1)?.reason === 'user initiated' ? `User initiated (${new Date(i.history.at(-1)?.at ?? 0).toISOString()})` : '',
    keyName: i.keyName,
    amiLaunchIndex: i.launchIndex,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: new Date(i.launchTime),
    placement: { availabilityZone: i.zone, groupName: '', tenancy: 'default' },
    monitoring: { state: 'disabled' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIp,
    // the public address exists only while the instance runs, as with an auto-assigned public IP
    ipAddress: runs ? i.lease?.publicIp : undefined,
    sourceDestCheck: true,
    groupSet: i.groupIds.map(group),
    stateReason: i.stateReason,
    architecture: cloud.typeInfo(i.instanceType)?.architecture ?? 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/sda1',
    blockDeviceMapping: [],
    instanceLifecycle: i.spot ? 'spot' : undefined,
    spotInstanceRequestId: i.spot ? `sir-${i.id.slice(2, 10)}` : undefined,
    virtualizationType: 'hvm',
    clientToken: i.clientToken ?? '',
    tagSet: tagSet(cloud.tags.get(i.id)),
    hypervisor: 'xen',
    iamInstanceProfile: profile === undefined ? undefined : { arn: profile.arn, id: profile.id },
    ebsOptimized: false,
    enaSupport: true,
    metadataOptions: { state: 'applied', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled' },
  };
}

export function reservationXml(cloud: Cloud, reservationId: string, instances: Instance[]): XmlObject {
  const groups = [...new Set(instances.flatMap((i) => i.groupIds))];
  return {
    reservationId,
    ownerId: cloud.account,
    groupSet: groups.map((id) => ({ groupId: id, groupName: cloud.groups.get(id)?.name ?? '' })),
    instancesSet: instances.map((i) => instanceXml(cloud, i)),
  };
}

function ruleXml(r: Rule, account: string): XmlObject {
  return {
    ipProtocol: r.protocol,
    fromPort: r.fromPort,
    toPort: r.toPort,
    groups: r.groups.map((g) => ({ userId: account, groupId: g.groupId, description: g.description })),
    ipRanges: r.cidrs.map((c) => ({ cidrIp: c.cidr, description: c.description })),
    ipv6Ranges: [],
    prefixListIds: [],
  };
}

export function groupXml(cloud: Cloud, g: SecurityGroup): XmlObject {
  return {
    ownerId: cloud.account,
    groupId: g.id,
    groupName: g.name,
    groupDescription: g.description,
    vpcId: g.vpcId,
    securityGroupArn: cloud.arn('security-group', g.id),
    ipPermissions: g.ingress.map((r) => ruleXml(r, cloud.account)),
    ipPermissionsEgress: g.egress.map((r) => ruleXml(r, cloud.account)),
    tagSet: tagSet(cloud.tags.get(g.id)),
  };
}
