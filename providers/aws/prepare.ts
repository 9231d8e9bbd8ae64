/**
 * prepare(): what an AWS cluster needs before its head launches, found or created (idempotent), each step told
 * to `progress`. Resolves with the config as its nodes get it, in the manner of Ray's bootstrap: every node type's
 * node_config carries its KeyName, SubnetIds, SecurityGroupIds and ImageId, the head's its IamInstanceProfile,
 * and the resources the config leaves out come from the instance type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InstanceTypeInfo } from '@aws-sdk/client-ec2';
import type { AwsProviderConfig, ClusterConfig } from '../../src/config/types.js';
import { ProviderConfigError } from '../errors.js';
import { ingressCidr } from '../public-address.js';
import { newestImage, UBUNTU_OWNER, ubuntuImageName } from './choose.js';
import { toProviderError } from './errors.js';
import { callerIdentity, ensureHeadRole, ensureKeyPair, profileRoles } from './identity.js';
import { ensureSecurityGroup, findSubnets } from './network.js';
import { headPolicy } from './policy.js';
import { fillResources, imageArch, instanceTypeResources } from './resources.js';
import type { AwsClients } from './sdk.js';
import { writeFileSync, renameSync } from 'node:fs';

export interface PrepareOptions {
  clients: AwsClients;
  stateDir: string;
  progress(line: string): void;
  env?: NodeJS.ProcessEnv;
}

type NodeConfig = Record<string, unknown>;
const has = (nc: NodeConfig, ...keys: string[]) => keys.some((k) => nc[k] !== undefined);

export async function prepareCluster(config: ClusterConfig, o: PrepareOptions): Promise<ClusterConfig> {
  if (config.provider.type !== 'aws') throw new ProviderConfigError(`a ${config.provider.type} provider section was given to the aws provider`);
  const p: AwsProviderConfig = config.provider;
  const out = structuredClone(config);
  const c = o.clients;
  const types = Object.entries(out.available_node_types);
  const ncs = types.map(([, t]) => t.node_config);

  const id = await callerIdentity(c);
  o.progress(`AWS account ${id.account}, region ${p.region}`);

  const infos = await instanceTypes(c, p.region, [...new Set(ncs.map((nc) => String(nc.InstanceType ?? '')).filter((t) => t !== ''))], o.stateDir);
  for (const [name, t] of types) {
    const detected = infos.get(String(t.node_config.InstanceType ?? ''));
    // The head holds the cluster's cloud role: tasks do not run beside it unless the config says so.
    const declared = name === out.head_node_type && t.resources.CPU === undefined ? { ...t.resources, CPU: 0 } : t.resources;
    t.resources = fillResources(declared, detected && instanceTypeResources(detected));
  }

  if (ncs.some((nc) => !has(nc, 'KeyName', 'LaunchTemplate'))) {
    const key = await ensureKeyPair(c, {
      cluster: out.cluster_name, base: p.key_pair?.key_name ?? `raylaunch-${out.cluster_name}`, privateKeyPath: out.auth.ssh_private_key, stateDir: o.stateDir, progress: o.progress,
    });
    for (const nc of ncs) if (!has(nc, 'KeyName', 'LaunchTemplate')) nc.KeyName = key.keyName;
    out.auth.ssh_private_key = key.privateKeyPath;
  }

  const named = [...new Set(ncs.flatMap((nc) => (Array.isArray(nc.SubnetIds) ? nc.SubnetIds.map(String) : typeof nc.SubnetId === 'string' ? [nc.SubnetId] : [])))];
  const network = await findSubnets(c, p, named);
  const subnetIds = network.subnets.map((s) => s.id);
  for (const nc of ncs) if (!has(nc, 'SubnetIds', 'SubnetId', 'NetworkInterfaces', 'LaunchTemplate')) nc.SubnetIds = subnetIds;
  o.progress(`subnets in ${network.vpcId}: ${network.subnets.map((s) => `${s.id} (${s.zone})`).join(', ')}`);

  if (ncs.some((nc) => !has(nc, 'SecurityGroupIds', 'SecurityGroups', 'LaunchTemplate'))) {
    const cidr = await ingressCidr(out.raylaunch.ssh_ingress_cidr, o.env);
    const sg = await ensureSecurityGroup(c, out.cluster_name, p, network.vpcId, cidr, o.progress);
    for (const nc of ncs) {
      if (has(nc, 'SecurityGroupIds', 'SecurityGroups', 'LaunchTemplate')) continue;
      const nics = nc.NetworkInterfaces as { Groups?: string[] }[] | undefined;
      // EC2 takes the groups on the interface when node_config declares interfaces.
      if (nics?.[0]) nics[0].Groups = [...(nics[0].Groups ?? []), sg];
      else nc.SecurityGroupIds = [sg];
    }
  }

  const images = new Map<string, string>();
  for (const nc of ncs) {
    if (has(nc, 'ImageId', 'LaunchTemplate')) continue;
    const arch = imageArch(infos.get(String(nc.InstanceType ?? '')));
    let image = images.get(arch);
    if (!image) {
      image = await defaultImage(c, p.region, arch);
      images.set(arch, image);
      o.progress(`image ${image}: the newest Ubuntu 24.04 LTS (${arch}) of ${p.region}`);
    }
    nc.ImageId = image;
  }

  const head = out.available_node_types[out.head_node_type]?.node_config;
  if (head && !has(head, 'IamInstanceProfile')) {
    const workers = types.filter(([name]) => name !== out.head_node_type).map(([, t]) => t.node_config);
    const profiles = workers.map((nc) => nc.IamInstanceProfile as { Name?: string; Arn?: string } | undefined).map((ip) => ip?.Arn ?? ip?.Name).filter((x): x is string => !!x);
    const policy = headPolicy({
      cluster: out.cluster_name, partition: id.partition, region: p.region, account: id.account,
      subnetIds: workers.flatMap((nc) => subnetsOf(nc)),
      securityGroupIds: workers.flatMap((nc) => [...strings(nc.SecurityGroupIds), ...((nc.NetworkInterfaces as { Groups?: string[] }[] | undefined)?.flatMap((n) => n.Groups ?? []) ?? [])]),
      imageIds: workers.flatMap((nc) => strings(nc.ImageId)),
      ...(typeof workers[0]?.KeyName === 'string' ? { keyName: workers[0].KeyName } : {}),
      spot: workers.some((nc) => (nc.InstanceMarketOptions as { MarketType?: string } | undefined)?.MarketType === 'spot'),
      workerRoleArns: await profileRoles(c, profiles),
    });
    head.IamInstanceProfile = { Name: await ensureHeadRole(c, out.cluster_name, policy, o.progress) };
  }
  return out;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : []);
const subnetsOf = (nc: NodeConfig) => [
  ...strings(nc.SubnetIds), ...strings(nc.SubnetId),
  ...((nc.NetworkInterfaces as { SubnetId?: string }[] | undefined)?.flatMap((n) => strings(n.SubnetId)) ?? []),
];

async function defaultImage(c: AwsClients, region: string, arch: 'amd64' | 'arm64'): Promise<string> {
  const out = await c.ec2.send(new c.EC2.DescribeImagesCommand({
    Owners: [UBUNTU_OWNER], Filters: [{ Name: 'name', Values: [ubuntuImageName(arch)] }, { Name: 'state', Values: ['available'] }],
  })).catch((e: unknown) => {
    throw toProviderError(e, { action: 'DescribeImages', what: `Ubuntu 24.04 LTS ${arch}` });
  });
  return newestImage(out.Images ?? [], region, arch);
}

/** The cluster's cache of instance types, per region and type: instance types do not change under a name. */
const typeCachePath = (stateDir: string) => join(stateDir, 'aws-instance-types.json');

async function instanceTypes(c: AwsClients, region: string, names: string[], stateDir: string): Promise<Map<string, InstanceTypeInfo>> {
  let cache: Record<string, InstanceTypeInfo> = {};
  try {
    cache = JSON.parse(readFileSync(typeCachePath(stateDir), 'utf8')) as Record<string, InstanceTypeInfo>;
  } catch {
    // no cache yet (or a damaged one): asked again below
  }
  const missing = names.filter((n) => !cache[`${region}/${n}`]);
  if (missing.length > 0) {
    const out = await c.ec2.send(new c.EC2.DescribeInstanceTypesCommand({ InstanceTypes: missing as never[] })).catch((e: unknown) => {
      throw toProviderError(e, { action: 'DescribeInstanceTypes', what: missing.join(', ') });
    });
    for (const t of out.InstanceTypes ?? []) {
      if (t.InstanceType) cache[`${region}/${t.InstanceType}`] = { InstanceType: t.InstanceType, VCpuInfo: t.VCpuInfo, GpuInfo: t.GpuInfo, MemoryInfo: t.MemoryInfo, ProcessorInfo: t.ProcessorInfo };
    }
    const unknown = missing.filter((n) => !cache[`${region}/${n}`]);
    if (unknown.length > 0) throw new ProviderConfigError(`instance type ${unknown.join(', ')} is not offered in ${region}`, { hint: 'check node_config.InstanceType' });
    writeFileSync(`${typeCachePath(stateDir)}.tmp`, JSON.stringify(cache, null, 2));
    renameSync(`${typeCachePath(stateDir)}.tmp`, typeCachePath(stateDir));
  }
  return new Map(names.map((n) => [n, cache[`${region}/${n}`]] as [string, InstanceTypeInfo]));
}
