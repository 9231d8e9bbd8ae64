// DescribeInstances, Terminate/Stop/StartInstances and CreateTags.
import { authorize } from '../authz.js';
import type { Cloud, Principal } from '../cloud.js';
import { ApiError } from '../errors.js';
import type { Call } from '../handler.js';
import { str, strings, trees } from '../wire/query.js';
import type { XmlObject } from '../wire/xml.js';
import { checkMaxResults, matchesFilters, paginate, readFilters, tagAttributes } from './filters.js';
import type { InstanceStateName } from './lifecycle.js';
import type { Instance } from './model.js';
import { reservationXml, stateXml } from './render.js';
import { checkTagKey, quotaLeft, vcpuLimitError } from './run.js';

const notFound = (ids: string[]): ApiError =>
  new ApiError('InvalidInstanceID.NotFound', `The instance ID${ids.length > 1 ? 's' : ''} '${ids.join(', ')}' do${ids.length > 1 ? '' : 'es'} not exist`);

function instanceAttributes(cloud: Cloud, i: Instance) {
  return (name: string): string[] | undefined => {
    const simple: Record<string, string | undefined> = {
      'instance-state-name': i.state, 'instance-id': i.id, 'instance-type': i.instanceType, 'availability-zone': i.zone,
      'subnet-id': i.subnetId, 'vpc-id': i.vpcId, 'reservation-id': i.reservationId, 'key-name': i.keyName, 'image-id': i.imageId,
      'instance-lifecycle': i.spot ? 'spot' : undefined, 'private-ip-address': i.privateIp, 'client-token': i.clientToken,
      'ip-address': i.state === 'running' ? i.lease?.publicIp : undefined,
    };
    if (name in simple) return simple[name] === undefined ? [] : [simple[name] as string];
    if (name === 'instance-state-code') return [String(stateXml(i.state).code)];
    if (name === 'instance.group-id') return i.groupIds;
    return tagAttributes(cloud.tagsOf(i.id), name);
  };
}

/** Instances named by id, each checked to exist: EC2 refuses the whole call for one unknown id. */
function named(cloud: Cloud, ids: string[], includeHidden: boolean): Instance[] {
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
  const bad = ids.filter((id) => !/^i-[0-9a-f]+$/.test(id));
  if (bad.length > 0) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad[0]}"`);
  const missing = ids.filter((id) => { const i = cloud.instances.get(id); return i === undefined || (!includeHidden && i.hiddenFor > 0); });
  if (missing.length > 0) throw notFound(missing);
  return ids.map((id) => cloud.instances.get(id) as Instance);
}

export function describeInstances({ cloud, p }: Call): XmlObject {
  const ids = strings(p, 'InstanceId');
  if (ids.length > 0 && str(p, 'MaxResults') !== undefined) throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  checkMaxResults(p, 5, 1000);
  const filters = readFilters(p);
  // A new instance stays out of this many describes (eventual consistency), then is listed as usual.
  const hidden = [...cloud.instances.values()].filter((i) => i.hiddenFor > 0);
  try {
    const pool = ids.length > 0 ? named(cloud, ids, false) : [...cloud.instances.values()].filter((i) => i.hiddenFor === 0);
    const matching = pool.filter((i) => matchesFilters(filters, instanceAttributes(cloud, i)));
    const page = paginate(matching, p, cloud.opts.pageSize);
    const reservations: XmlObject[] = [];
    for (const i of page.items) {
      const last = reservations.at(-1);
      if (last !== undefined && last.reservationId === i.reservationId) (last.instancesSet as XmlObject[]).push(...(reservationXml(cloud, i.reservationId, [i]).instancesSet as XmlObject[]));
      else reservations.push(reservationXml(cloud, i.reservationId, [i]));
    }
    return { reservationSet: reservations, nextToken: page.nextToken };
  } finally {
    for (const i of hidden) i.hiddenFor -= 1;
  }
}

function changes(items: { inst: Instance; previous: InstanceStateName }[]): XmlObject {
  return { instancesSet: items.map(({ inst, previous }) => ({ instanceId: inst.id, currentState: stateXml(inst.state), previousState: stateXml(previous) })) };
}

function authorizeOn(cloud: Cloud, who: Principal, action: string, instances: Instance[]): void {
  authorize(cloud, who, 'ec2', instances.map((i) => ({ action: `ec2:${action}`, resource: cloud.arn('instance', i.id), context: Object.fromEntries([...cloud.tagsOf(i.id)].map(([k, v]) => [`ec2:ResourceTag/${k}`, v])) })));
}

export function terminateInstances({ cloud, p, who }: Call): XmlObject {
  const instances = named(cloud, strings(p, 'InstanceId'), true);
  authorizeOn(cloud, who, 'TerminateInstances', instances);
  return changes(instances.map((inst) => {
    const previous = inst.state;
    if (previous !== 'shutting-down' && previous !== 'terminated') cloud.move(inst, 'shutting-down', 'user initiated');
    return { inst, previous };
  }));
}

export function stopInstances({ cloud, p, who }: Call): XmlObject {
  const instances = named(cloud, strings(p, 'InstanceId'), true);
  authorizeOn(cloud, who, 'StopInstances', instances);
  for (const inst of instances) {
    if (inst.spot) throw new ApiError('UnsupportedOperation', `You can't stop the Spot Instance '${inst.id}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with a persistent request.`);
    if (!['running', 'stopping', 'stopped'].includes(inst.state)) throw new ApiError('IncorrectInstanceState', `This instance '${inst.id}' is not in a state from which it can be stopped.`);
  }
  return changes(instances.map((inst) => {
    const previous = inst.state;
    if (previous === 'running') cloud.move(inst, 'stopping', 'user initiated');
    return { inst, previous };
  }));
}

export function startInstances({ cloud, p, who }: Call): XmlObject {
  const instances = named(cloud, strings(p, 'InstanceId'), true);
  authorizeOn(cloud, who, 'StartInstances', instances);
  const toStart = instances.filter((i) => i.state === 'stopped');
  for (const inst of instances) {
    if (!['pending', 'running', 'stopped'].includes(inst.state)) throw new ApiError('IncorrectInstanceState', `The instance '${inst.id}' is not in a state from which it can be started.`);
  }
  if (toStart.length > cloud.opts.pool.free()) throw new ApiError('InsufficientInstanceCapacity', `We currently do not have sufficient ${toStart[0]?.instanceType ?? ''} capacity in the Availability Zone you requested (${toStart[0]?.zone ?? ''}).`, 500);
  const byType = new Map<string, number>();
  for (const i of toStart) byType.set(i.instanceType, (byType.get(i.instanceType) ?? 0) + 1);
  for (const [type, n] of byType) if (quotaLeft(cloud, type) < n) throw vcpuLimitError(cloud);
  return changes(instances.map((inst) => {
    const previous = inst.state;
    if (previous === 'stopped') {
      inst.lease = cloud.opts.pool.take(inst.id);
      inst.privateIp = inst.lease?.privateIp ?? inst.privateIp;
      inst.stateReason = undefined;
      cloud.move(inst, 'pending', 'user initiated');
    }
    return { inst, previous };
  }));
}

/** The kind of resource an id names, for CreateTags: undefined when this fake keeps no such resource. */
function resourceKind(cloud: Cloud, id: string): string | undefined {
  if (cloud.instances.has(id)) return 'instance';
  if (cloud.groups.has(id)) return 'security-group';
  if (cloud.subnets.some((s) => s.id === id)) return 'subnet';
  if (cloud.vpcs.some((v) => v.id === id)) return 'vpc';
  if (cloud.keyPairs.has(id)) return 'key-pair';
  if (cloud.images.some((i) => i.id === id)) return 'image';
  return undefined;
}

export function createTags({ cloud, p, who }: Call): XmlObject {
  const ids = strings(p, 'ResourceId');
  if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter resourceIdSet');
  const tags = trees(p, 'Tag').map((t) => [checkTagKey(str(t, 'Key')), str(t, 'Value') ?? ''] as const);
  const kinds = ids.map((id) => {
    const kind = resourceKind(cloud, id);
    if (kind === undefined) throw id.startsWith('i-') ? notFound([id]) : new ApiError('InvalidID', `The ID '${id}' is not valid`);
    return kind;
  });
  authorize(cloud, who, 'ec2', ids.map((id, n) => ({
    action: 'ec2:CreateTags',
    resource: cloud.arn(kinds[n] as string, id),
    context: {
      ...Object.fromEntries([...cloud.tagsOf(id)].map(([k, v]) => [`ec2:ResourceTag/${k}`, v])),
      ...Object.fromEntries(tags.map(([k, v]) => [`aws:RequestTag/${k}`, v])),
    },
  })));
  for (const id of ids) for (const [k, v] of tags) cloud.tagsOf(id).set(k, v);
  return { return: true };
}
