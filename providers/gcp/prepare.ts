/**
 * prepare(): what a GCP cluster needs before its head launches, found or created (idempotent), each step told to
 * `progress`. Resolves with the config as its nodes get it: every node type's node_config carries a boot image
 * (ubuntu-os-cloud's LTS family when it names none), a network interface, the cluster's SSH key in `ssh-keys`, the
 * head its service account, and the resources the config leaves out come from the machine type. The firewall rules'
 * operations finish behind it (`settled`), awaited before the first connection to a node.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterConfig, GcpProviderConfig } from '../../src/config/types.js';
import { ProviderConfigError } from '../errors.js';
import { ingressCidr } from '../public-address.js';
import { toProviderError } from './errors.js';
import { clusterRules, ensureFirewall } from './firewall.js';
import { networkTag } from './names.js';
import { accelerators, machineTypeName, toApiShape, type NodeConfig } from './node-config.js';
import { machineResources, type MachineTypeInfo, typeResources } from './resources.js';
import type { GcpClients } from './sdk.js';
import { ensureSshKey, sshKeysLine } from './ssh-key.js';

export interface PrepareOptions {
  clients: GcpClients;
  stateDir: string;
  progress(line: string): void;
  env?: NodeJS.ProcessEnv;
}

/** The head's default identity: the project's default compute account, with the compute scope only. */
export const HEAD_SERVICE_ACCOUNT = { email: 'default', scopes: ['https://www.googleapis.com/auth/compute'] };
export const UBUNTU_PROJECT = 'ubuntu-os-cloud';
/** ubuntu-os-cloud's current LTS family per architecture (Arm machine types: T2A, C4A). */
export const ubuntuFamily = (machineType: string) => (/^(t2a|c4a)-/.test(machineType) ? 'ubuntu-2404-lts-arm64' : 'ubuntu-2404-lts-amd64');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function gcpSection(config: ClusterConfig): GcpProviderConfig & { project_id: string } {
  if (config.provider.type !== 'gcp') throw new ProviderConfigError(`a ${config.provider.type} provider section was given to the gcp provider`);
  const p = config.provider;
  if (!p.project_id) throw new ProviderConfigError('provider.project_id is not set', { hint: 'set provider.project_id to your project (gcloud projects list)' });
  return { ...p, project_id: p.project_id };
}

/** OS Login makes GCE ignore `ssh-keys` metadata, so raylaunch could not log in. Pure. */
export function osLoginError(projectItems: readonly { key?: string | null; value?: string | null }[], ncs: readonly NodeConfig[], project: string): ProviderConfigError | undefined {
  const on = (v: string | null | undefined) => (v ?? '').toUpperCase() === 'TRUE';
  const projectOn = projectItems.some((i) => i.key === 'enable-oslogin' && on(i.value));
  const own = (nc: NodeConfig) => (isObj(nc.metadata) && Array.isArray(nc.metadata.items) ? (nc.metadata.items as Obj[]) : []).find((i) => i.key === 'enable-oslogin');
  const offEverywhere = ncs.every((nc) => { const v = own(nc); return v !== undefined && !on(String(v.value)); });
  if (!projectOn || offEverywhere) return undefined;
  return new ProviderConfigError(`OS Login is enabled in project ${project}: Compute Engine ignores the ssh-keys metadata raylaunch logs in with`, {
    hint: `turn it off for the project (gcloud compute project-info add-metadata --metadata enable-oslogin=FALSE --project ${project}), or, unless an organisation policy enforces it, add {key: enable-oslogin, value: "FALSE"} to every node_config.metadata.items`,
  });
}

export async function prepareCluster(config: ClusterConfig, o: PrepareOptions): Promise<{ config: ClusterConfig; settled: Promise<void> }> {
  const p = gcpSection(config);
  const project = p.project_id;
  const out = structuredClone(config);
  const c = o.clients;
  const types = Object.entries(out.available_node_types);
  for (const [name, t] of types) toApiShape(name, t.node_config, { mode: 'bulk' }); // TPU configs stop here

  const [info] = await c.projects.get({ project }).catch((e: unknown) => {
    throw toProviderError(e, { action: 'projects.get', what: `checking project ${project} and the credentials`, project });
  });
  const osLogin = osLoginError(info.commonInstanceMetadata?.items ?? [], types.map(([, t]) => t.node_config), project);
  if (osLogin) throw osLogin;
  o.progress(`GCP project ${project}, zone ${p.availability_zone}`);

  const zone = p.availability_zone;
  const infos = await machineTypes(c, project, zone, [...new Set(types.map(([, t]) => machineTypeName(t.node_config)).filter((n) => n !== ''))], o.stateDir);
  for (const [name, t] of types) {
    const mt = infos.get(machineTypeName(t.node_config));
    t.resources = typeResources(t.resources, mt && machineResources(mt, accelerators(t.node_config)), name === out.head_node_type);
  }

  const key = ensureSshKey({ cluster: out.cluster_name, privateKeyPath: out.auth.ssh_private_key, stateDir: o.stateDir, progress: o.progress });
  out.auth.ssh_private_key = key.privateKeyPath;
  const line = sshKeysLine(out.auth.ssh_user ?? 'ubuntu', key.publicKey, out.cluster_name);

  const images = new Map<string, string>();
  for (const [name, t] of types) {
    const nc = t.node_config;
    const meta: Obj = isObj(nc.metadata) ? nc.metadata : Array.isArray(nc.metadata) ? { items: nc.metadata } : {};
    const items = (Array.isArray(meta.items) ? meta.items : []) as Obj[];
    const have = items.find((i) => i.key === 'ssh-keys');
    if (!have) items.push({ key: 'ssh-keys', value: line });
    else if (!String(have.value ?? '').includes(key.publicKey)) have.value = [String(have.value ?? '').trim(), line].filter((l) => l !== '').join('\n');
    nc.metadata = { ...meta, items };
    if (name === out.head_node_type && nc.serviceAccounts === undefined) nc.serviceAccounts = [HEAD_SERVICE_ACCOUNT];
    if (nc.networkInterfaces === undefined) {
      nc.networkInterfaces = [{ network: 'global/networks/default', ...(p.use_internal_ips ? {} : { accessConfigs: [{ type: 'ONE_TO_ONE_NAT', name: 'External NAT' }] }) }];
    }
    const disks = (Array.isArray(nc.disks) ? nc.disks : []) as Obj[];
    let boot = disks.find((d) => d.boot === true);
    if (!boot) {
      boot = { boot: true, autoDelete: true, type: 'PERSISTENT', initializeParams: { diskSizeGb: 50 } };
      disks.unshift(boot);
    }
    const ip: Obj = isObj(boot.initializeParams) ? boot.initializeParams : {};
    boot.initializeParams = ip;
    nc.disks = disks;
    if (typeof ip.sourceImage !== 'string' && typeof boot.source !== 'string') {
      const family = ubuntuFamily(machineTypeName(nc));
      let image = images.get(family);
      if (!image) {
        const [img] = await c.images.getFromFamily({ project: UBUNTU_PROJECT, family }).catch((e: unknown) => {
          throw toProviderError(e, { action: 'images.getFromFamily', what: `${UBUNTU_PROJECT}/${family}`, project });
        });
        image = `projects/${UBUNTU_PROJECT}/global/images/${img.name ?? ''}`;
        images.set(family, image);
        o.progress(`image ${image} (newest of family ${family})`);
      }
      ip.sourceImage = image;
    }
  }

  const cidr = await ingressCidr(out.raylaunch.ssh_ingress_cidr, o.env);
  const nic = (out.available_node_types[out.head_node_type]?.node_config.networkInterfaces as Obj[] | undefined)?.[0];
  const network = typeof nic?.network === 'string' ? nic.network : 'global/networks/default';
  const { settled } = await ensureFirewall(c, project, clusterRules(out.cluster_name, network, networkTag(out.cluster_name), cidr), o.progress);
  return { config: out, settled };
}

/** The cluster's cache of machine types, per zone and type: a machine type does not change under its name. */
const cachePath = (stateDir: string) => join(stateDir, 'gcp-machine-types.json');

async function machineTypes(c: GcpClients, project: string, zone: string, names: string[], stateDir: string): Promise<Map<string, MachineTypeInfo>> {
  let cache: Record<string, MachineTypeInfo> = {};
  try {
    cache = JSON.parse(readFileSync(cachePath(stateDir), 'utf8')) as Record<string, MachineTypeInfo>;
  } catch {
    // no cache yet (or a damaged one): asked again below
  }
  const missing = names.filter((n) => !cache[`${zone}/${n}`]);
  for (const n of missing) {
    const [mt] = await c.machineTypes.get({ project, zone, machineType: n }).catch((e: unknown) => {
      throw toProviderError(e, { action: 'machineTypes.get', what: `${n} in ${zone}`, project });
    });
    cache[`${zone}/${n}`] = {
      guestCpus: mt.guestCpus ?? 0, memoryMb: mt.memoryMb ?? 0,
      accelerators: (mt.accelerators ?? []).map((a) => ({ type: a.guestAcceleratorType ?? '', count: a.guestAcceleratorCount ?? 0 })),
    };
  }
  if (missing.length > 0) {
    writeFileSync(`${cachePath(stateDir)}.tmp`, JSON.stringify(cache, null, 2));
    renameSync(`${cachePath(stateDir)}.tmp`, cachePath(stateDir));
  }
  return new Map(names.flatMap((n) => (cache[`${zone}/${n}`] ? [[n, cache[`${zone}/${n}`]] as [string, MachineTypeInfo]] : [])));
}
