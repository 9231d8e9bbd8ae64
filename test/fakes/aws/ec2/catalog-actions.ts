// DescribeImages and DescribeInstanceTypes: read-only views of the region's catalog.
import { ApiError } from '../errors.js';
import type { Call } from '../handler.js';
import { strings } from '../wire/query.js';
import type { XmlObject } from '../wire/xml.js';
import { checkMaxResults, matchesFilters, paginate, readFilters } from './filters.js';
import type { Image, InstanceTypeInfo } from './model.js';

export function describeImages({ cloud, p }: Call): XmlObject {
  const owners = strings(p, 'Owner');
  const ids = strings(p, 'ImageId');
  const filters = readFilters(p);
  const ownerMatches = (i: Image): boolean => owners.length === 0 || owners.some((o) => o === i.ownerId || o === i.ownerAlias || (o === 'self' && i.ownerId === cloud.account));
  for (const id of ids) if (!cloud.images.some((i) => i.id === id)) throw new ApiError('InvalidAMIID.NotFound', `The image id '[${id}]' does not exist`);
  const images = cloud.images
    .filter((i) => (ids.length === 0 || ids.includes(i.id)) && ownerMatches(i))
    .filter((i) => matchesFilters(filters, (n) => ({
      name: [i.name], 'owner-id': [i.ownerId], 'owner-alias': i.ownerAlias === undefined ? [] : [i.ownerAlias], architecture: [i.architecture],
      state: [i.state], 'image-id': [i.id], 'root-device-type': ['ebs'], 'virtualization-type': ['hvm'], 'image-type': ['machine'], 'is-public': ['true'],
    })[n]));
  checkMaxResults(p, 5, 1000);
  const page = paginate(images, p, cloud.opts.pageSize);
  return {
    imagesSet: page.items.map((i) => ({
      imageId: i.id, imageLocation: `${i.ownerAlias ?? i.ownerId}/${i.name}`, imageState: i.state, imageOwnerId: i.ownerId, imageOwnerAlias: i.ownerAlias,
      creationDate: i.creationDate, isPublic: true, architecture: i.architecture, imageType: 'machine', name: i.name,
      rootDeviceType: 'ebs', rootDeviceName: '/dev/sda1', virtualizationType: 'hvm', hypervisor: 'xen', enaSupport: true,
      blockDeviceMapping: [{ deviceName: '/dev/sda1', ebs: { volumeSize: 8, volumeType: 'gp3', deleteOnTermination: true, encrypted: false } }],
    })),
    nextToken: page.nextToken,
  };
}

function typeXml(t: InstanceTypeInfo): XmlObject {
  return {
    instanceType: t.name,
    currentGeneration: true,
    supportedUsageClasses: ['on-demand', 'spot'],
    supportedRootDeviceTypes: ['ebs'],
    supportedVirtualizationTypes: ['hvm'],
    bareMetal: false,
    hypervisor: 'nitro',
    processorInfo: { supportedArchitectures: [t.architecture] },
    vCpuInfo: { defaultVCpus: t.vcpus, defaultCores: Math.max(1, t.vcpus / 2), defaultThreadsPerCore: t.vcpus > 1 ? 2 : 1 },
    memoryInfo: { sizeInMiB: t.memoryMiB },
    instanceStorageSupported: false,
    gpuInfo: t.gpus === undefined ? undefined : {
      gpus: [{ name: t.gpus.name, manufacturer: t.gpus.manufacturer, count: t.gpus.count, memoryInfo: { sizeInMiB: t.gpus.memoryMiB } }],
      totalGpuMemoryInMiB: t.gpus.count * t.gpus.memoryMiB,
    },
  };
}

export function describeInstanceTypes({ cloud, p }: Call): XmlObject {
  const names = strings(p, 'InstanceType');
  const unknown = names.filter((n) => cloud.typeInfo(n) === undefined);
  if (unknown.length > 0) throw new ApiError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
  checkMaxResults(p, 5, 100);
  const filters = readFilters(p);
  const types = cloud.instanceTypes
    .filter((t) => names.length === 0 || names.includes(t.name))
    .filter((t) => matchesFilters(filters, (n) => ({
      'instance-type': [t.name], 'vcpu-info.default-vcpus': [String(t.vcpus)], 'memory-info.size-in-mib': [String(t.memoryMiB)],
      'processor-info.supported-architecture': [t.architecture], 'current-generation': ['true'],
    })[n]));
  const page = paginate(types, p, cloud.opts.pageSize);
  return { instanceTypeSet: page.items.map(typeXml), nextToken: page.nextToken };
}
