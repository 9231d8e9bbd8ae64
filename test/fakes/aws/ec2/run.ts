// RunInstances: where the instance goes (subnet, zone, groups), what may stop it (capacity, quota, IAM
// propagation, policy), and ClientToken idempotency. Everything is checked before anything is created.
import { authorize } from '../authz.js';
import type { Cloud } from '../cloud.js';
import type { Call } from '../handler.js';
import { ApiError } from '../errors.js';
import type { AuthzRequest } from '../policy.js';
import { child, num, str, strings, trees, type QueryTree } from '../wire/query.js';
import type { XmlObject } from '../wire/xml.js';
import type { Instance, Subnet } from './model.js';
import { reservationXml } from './render.js';

const TAGGABLE_AT_LAUNCH = ['instance', 'volume', 'network-interface', 'spot-instances-request'];

export function readTagSpecs(p: QueryTree, allowed: string[]): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  for (const spec of trees(p, 'TagSpecification')) {
    const type = str(spec, 'ResourceType') ?? '';
    if (!allowed.includes(type)) throw new ApiError('InvalidParameterValue', `'${type}' is not a valid taggable resource type for this operation.`);
    const tags = out.get(type) ?? new Map<string, string>();
    for (const t of trees(spec, 'Tag')) tags.set(checkTagKey(str(t, 'Key')), str(t, 'Value') ?? '');
    out.set(type, tags);
  }
  return out;
}

export function checkTagKey(key: string | undefined): string {
  if (key === undefined || key === '') throw new ApiError('InvalidParameterValue', 'Tag keys must not be empty.');
  if (key.toLowerCase().startsWith('aws:')) throw new ApiError('InvalidParameterValue', `Tag keys starting with 'aws:' are reserved for internal use (${key}).`);
  return key;
}

const prefixed = (prefix: string, tags: Map<string, string> | undefined): Record<string, string> =>
  Object.fromEntries([...(tags ?? [])].map(([k, v]) => [`${prefix}/${k}`, v]));

function placement(cloud: Cloud, p: QueryTree): { subnet: Subnet; groupIds: string[] } {
  const nic = trees(p, 'NetworkInterface')[0];
  const subnetId = str(nic, 'SubnetId') ?? str(p, 'SubnetId');
  const zone = str(child(p, 'Placement'), 'AvailabilityZone');
  let subnet: Subnet | undefined;
  if (subnetId !== undefined) {
    subnet = cloud.subnets.find((s) => s.id === subnetId);
    if (subnet === undefined) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    if (zone !== undefined && zone !== subnet.zone) throw new ApiError('InvalidParameterValue', `Subnet ${subnet.id} is in ${subnet.zone}, not in the requested Availability Zone ${zone}.`);
  } else {
    if (zone !== undefined && !cloud.zones.some((z) => z.name === zone)) throw new ApiError('InvalidParameterValue', `Invalid availability zone: [${zone}]`);
    subnet = cloud.subnets.find((s) => s.defaultForAz && (zone === undefined || s.zone === zone));
    if (subnet === undefined) throw new ApiError('MissingInput', `No default subnet for availability zone: '${zone ?? 'any'}'.`);
  }
  const ids = [...strings(nic, 'SecurityGroupId'), ...strings(p, 'SecurityGroupId')];
  for (const name of strings(p, 'SecurityGroup')) {
    const g = [...cloud.groups.values()].find((x) => x.name === name && x.vpcId === subnet.vpcId);
    if (g === undefined) throw new ApiError('InvalidGroup.NotFound', `The security group '${name}' does not exist in VPC '${subnet.vpcId}'`);
    ids.push(g.id);
  }
  for (const id of ids) {
    const g = cloud.groups.get(id);
    if (g === undefined) throw new ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
    if (g.vpcId !== subnet.vpcId) throw new ApiError('InvalidParameter', `Security group ${id} and subnet ${subnet.id} belong to different networks.`);
  }
  if (ids.length === 0) ids.push([...cloud.groups.values()].find((g) => g.name === 'default' && g.vpcId === subnet.vpcId)?.id ?? '');
  return { subnet, groupIds: [...new Set(ids)] };
}

function instanceProfile(cloud: Cloud, p: QueryTree): string | undefined {
  const spec = child(p, 'IamInstanceProfile');
  if (spec === undefined) return undefined;
  const arn = str(spec, 'Arn');
  const name = str(spec, 'Name') ?? arn?.split('/').at(-1);
  const invalid = new ApiError('InvalidParameterValue', `Value (${arn ?? name}) for parameter iamInstanceProfile.${arn === undefined ? 'name' : 'arn'} is invalid. Invalid IAM Instance Profile ${arn === undefined ? 'name' : 'ARN'}`);
  const profile = name === undefined ? undefined : cloud.profiles.get(name);
  if (profile === undefined || (arn !== undefined && arn !== profile.arn)) throw invalid;
  // A new profile (or one just given its role) is not yet visible to EC2: IAM is eventually consistent.
  if (cloud.now() < profile.changed + cloud.faults.iamPropagationMs) throw invalid;
  return profile.name;
}

function authzRequests(cloud: Cloud, p: QueryTree, tagSpecs: Map<string, Map<string, string>>, subnet: Subnet, groupIds: string[], profileName: string | undefined): AuthzRequest[] {
  const created = (type: string): AuthzRequest => ({ action: 'ec2:RunInstances', resource: cloud.arn(type, '*'), context: prefixed('aws:RequestTag', tagSpecs.get(type)) });
  const existing = (type: string, id: string): AuthzRequest => ({ action: 'ec2:RunInstances', resource: cloud.arn(type, id), context: prefixed('ec2:ResourceTag', cloud.tags.get(id)) });
  const reqs = [created('instance'), created('volume'), created('network-interface'), existing('subnet', subnet.id),
    ...groupIds.map((g) => existing('security-group', g)), existing('image', str(p, 'ImageId') ?? '')];
  const keyName = str(p, 'KeyName');
  if (keyName !== undefined) reqs.push({ action: 'ec2:RunInstances', resource: cloud.arn('key-pair', keyName), context: {} });
  // Tags given at launch are authorised as a CreateTags made by RunInstances.
  for (const [type, tags] of tagSpecs) {
    reqs.push({ action: 'ec2:CreateTags', resource: cloud.arn(type, '*'), context: { 'ec2:CreateAction': 'RunInstances', ...prefixed('aws:RequestTag', tags) } });
  }
  const role = profileName === undefined ? undefined : cloud.profiles.get(profileName)?.roleNames[0];
  if (role !== undefined) reqs.push({ action: 'iam:PassRole', resource: cloud.roles.get(role)?.arn ?? role, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } });
  return reqs;
}

function fingerprint(body: Record<string, string>): string {
  return JSON.stringify(Object.entries(body).filter(([k]) => k !== 'ClientToken').sort(([a], [b]) => a.localeCompare(b)));
}

function checkUserData(userData: string | undefined): void {
  if (userData === undefined) return;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(userData) || userData.length % 4 !== 0) throw new ApiError('InvalidParameterValue', 'Invalid BASE64 encoding of user data.');
  if (Buffer.from(userData, 'base64').length > 16384) throw new ApiError('InvalidParameterValue', 'User data is limited to 16384 bytes');
}

function activeVcpus(cloud: Cloud): number {
  return [...cloud.instances.values()]
    .filter((i) => !i.spot && ['pending', 'running', 'stopping'].includes(i.state))
    .reduce((n, i) => n + (cloud.typeInfo(i.instanceType)?.vcpus ?? 0), 0);
}

/** How many more instances of the type the account's vCPU quota allows (Infinity without one). */
export function quotaLeft(cloud: Cloud, instanceType: string): number {
  const limit = cloud.faults.vcpuLimit;
  if (limit === undefined) return Infinity;
  return Math.floor((limit - activeVcpus(cloud)) / (cloud.typeInfo(instanceType)?.vcpus ?? 1));
}

export function vcpuLimitError(cloud: Cloud): ApiError {
  return new ApiError('VcpuLimitExceeded', `You have requested more vCPU capacity than your current vCPU limit of ${cloud.faults.vcpuLimit ?? 0} allows for the instance bucket that the specified instance type belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to request an adjustment to this limit.`);
}

export function runInstances({ cloud, p, who, flat: body }: Call): XmlObject {
  const min = num(p, 'MinCount');
  const max = num(p, 'MaxCount');
  if (min === undefined || max === undefined) throw new ApiError('MissingParameter', `The request must contain the parameter ${min === undefined ? 'MinCount' : 'MaxCount'}`);
  if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max < min) throw new ApiError('InvalidParameterValue', `Invalid MinCount ${min} / MaxCount ${max}: need 1 ≤ MinCount ≤ MaxCount.`);
  const token = str(p, 'ClientToken');
  if (token !== undefined && token.length > 64) throw new ApiError('InvalidParameterValue', 'Value for parameter clientToken is invalid: it must be at most 64 characters.');
  const imageId = str(p, 'ImageId');
  if (imageId === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter ImageId');
  if (!/^ami-[0-9a-f]+$/.test(imageId)) throw new ApiError('InvalidAMIID.Malformed', `Invalid id: "${imageId}"`);
  if (!cloud.images.some((i) => i.id === imageId)) throw new ApiError('InvalidAMIID.NotFound', `The image id '[${imageId}]' does not exist`);
  const instanceType = str(p, 'InstanceType') ?? 'm1.small';
  if (cloud.typeInfo(instanceType) === undefined) throw new ApiError('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
  const keyName = str(p, 'KeyName');
  if (keyName !== undefined && ![...cloud.keyPairs.values()].some((k) => k.name === keyName)) throw new ApiError('InvalidKeyPair.NotFound', `The key pair '${keyName}' does not exist`);
  const userData = str(p, 'UserData');
  checkUserData(userData);
  const tagSpecs = readTagSpecs(p, TAGGABLE_AT_LAUNCH);
  const { subnet, groupIds } = placement(cloud, p);
  const profileName = instanceProfile(cloud, p);
  authorize(cloud, who, 'ec2', authzRequests(cloud, p, tagSpecs, subnet, groupIds, profileName));

  if (token !== undefined) {
    const existing = cloud.tokens.get(token);
    const r = existing === undefined ? undefined : cloud.reservations.get(existing);
    if (r !== undefined) {
      if (r.fingerprint !== fingerprint(body)) throw new ApiError('IdempotentParameterMismatch', `Arguments on this idempotent request are inconsistent with arguments used in previous request(s) with the same ClientToken (${token}).`);
      return reservationXml(cloud, r.id, r.instanceIds.map((id) => cloud.instances.get(id) as Instance));
    }
  }

  const spot = str(child(p, 'InstanceMarketOptions'), 'MarketType') === 'spot';
  const room = Math.min(max, cloud.faults.capacityLeft(subnet.zone, instanceType), cloud.opts.pool.free());
  if (room < min) {
    const others = cloud.zones.map((z) => z.name).filter((z) => z !== subnet.zone).join(', ');
    throw new ApiError('InsufficientInstanceCapacity', spot
      ? 'There is no Spot capacity available that matches your request.'
      : `We currently do not have sufficient ${instanceType} capacity in the Availability Zone you requested (${subnet.zone}). Our system will be working on provisioning additional capacity. You can currently get ${instanceType} capacity by not specifying an Availability Zone in your request or choosing ${others}.`, 500);
  }
  const count = spot ? room : Math.min(room, quotaLeft(cloud, instanceType));
  if (count < min) throw vcpuLimitError(cloud);

  const reservationId = cloud.newId('r-');
  const instances: Instance[] = [];
  for (let n = 0; n < count; n++) {
    const id = cloud.newId('i-');
    const lease = cloud.opts.pool.take(id);
    if (lease === undefined) throw new Error('fake EC2: the host pool had fewer free hosts than free() said');
    const inst: Instance = {
      id, reservationId, imageId, instanceType, zone: subnet.zone, subnetId: subnet.id, vpcId: subnet.vpcId, groupIds, keyName, userData,
      clientToken: token, spot, profileName, launchIndex: n, launchTime: cloud.now(), state: 'pending', history: [],
      due: { at: cloud.now() + cloud.opts.bootDelayMs, to: 'running', reason: 'boot finished' },
      lease, privateIp: lease.privateIp, hiddenFor: cloud.faults.describeLag,
    };
    cloud.instances.set(id, inst);
    const tags = tagSpecs.get('instance');
    if (tags !== undefined) cloud.tags.set(id, new Map(tags));
    instances.push(inst);
    cloud.emit('transition', { instanceId: id, from: undefined, to: 'pending', reason: 'RunInstances' });
  }
  cloud.faults.consumeCapacity(subnet.zone, instanceType, count);
  cloud.reservations.set(reservationId, { id: reservationId, ownerId: cloud.account, instanceIds: instances.map((i) => i.id), fingerprint: fingerprint(body) });
  if (token !== undefined) cloud.tokens.set(token, reservationId);
  return reservationXml(cloud, reservationId, instances);
}
