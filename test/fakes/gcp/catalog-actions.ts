// Read-only catalog calls (machine types, images, zones, regions), projects.get, and firewalls.
import { imageFromFamily, MACHINE_TYPES, PUBLIC_IMAGES, REGIONS, regionOf, type ImageInfo, type MachineTypeInfo } from './catalog.js';
import { GceError, notFound } from './errors.js';
import type { Ctx } from './handler.js';
import { projectParam, replay, zoneParam } from './instances.js';
import { API_BASE, iso, renderFirewall, renderOperation, zoneUrl, type Firewall } from './model.js';
import { filterOf, page } from './paging.js';
import { regionUsage } from './placement.js';
import { validateName } from './validate.js';

const DEFAULT_QUOTAS: Record<string, number> = { CPUS: 2400, INSTANCES: 6000, NVIDIA_T4_GPUS: 8, NVIDIA_A100_GPUS: 8, NVIDIA_L4_GPUS: 8, NVIDIA_V100_GPUS: 8 };

function machineType(project: string, zone: string, m: MachineTypeInfo): Record<string, unknown> {
  return {
    kind: 'compute#machineType', id: String(1000 + MACHINE_TYPES.indexOf(m)), name: m.name, description: `${m.guestCpus} vCPUs, ${m.memoryMb / 1024} GB RAM`,
    guestCpus: m.guestCpus, memoryMb: m.memoryMb, imageSpaceGb: 0, maximumPersistentDisks: 128, maximumPersistentDisksSizeGb: '263168',
    zone, isSharedCpu: m.isSharedCpu === true, selfLink: `${zoneUrl(project, zone)}/machineTypes/${m.name}`, architecture: 'X86_64',
    ...(m.accelerators === undefined ? {} : { accelerators: m.accelerators }),
  };
}

function image(project: string, i: ImageInfo): Record<string, unknown> {
  return {
    kind: 'compute#image', id: String(5000 + i.name.length), name: i.name, family: i.family, status: 'READY', architecture: i.architecture,
    diskSizeGb: String(i.diskSizeGb), sourceType: 'RAW', selfLink: `${API_BASE}projects/${project}/global/images/${i.name}`,
    creationTimestamp: iso(Date.UTC(2026, 10, 1)),
  };
}

function listOf(ctx: Ctx, kind: string, all: Record<string, unknown>[]): unknown {
  const p = page(all.filter(filterOf(ctx.query)), ctx.query, ctx.cloud.opts.pageSize);
  return { kind, items: p.items, ...(p.nextPageToken === undefined ? {} : { nextPageToken: p.nextPageToken }) };
}

function region(ctx: Ctx, project: string, name: string): Record<string, unknown> {
  const used = regionUsage(ctx.cloud, name);
  const metrics = new Set([...Object.keys(DEFAULT_QUOTAS)]);
  return {
    kind: 'compute#region', id: String(1200 + Object.keys(REGIONS).indexOf(name)), name, status: 'UP',
    zones: (REGIONS[name] ?? []).map((z) => zoneUrl(project, z)), selfLink: `${API_BASE}projects/${project}/regions/${name}`,
    quotas: [...metrics].map((metric) => ({ metric, limit: ctx.cloud.faults.quotas.get(`${metric}/${name}`) ?? DEFAULT_QUOTAS[metric] ?? 0, usage: used[metric] ?? 0 })),
  };
}

function firewallBody(ctx: Ctx, project: string): Firewall {
  const b = ctx.body;
  const name = validateName(b.name, 'resource.name');
  const net = typeof b.network === 'string' ? /(?:^|\/)global\/networks\/([^/]+)$/.exec(b.network)?.[1] : 'default';
  if (net !== 'default') throw notFound(`projects/${project}/global/networks/${String(net ?? b.network)}`);
  const rules = (v: unknown): Firewall['allowed'] => (Array.isArray(v) ? v.map((r: Record<string, unknown>) => ({ IPProtocol: String(r.IPProtocol ?? ''), ...(Array.isArray(r.ports) ? { ports: r.ports.map(String) } : {}) })) : []);
  const strs = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);
  const f: Firewall = {
    id: ctx.cloud.nextId(), name, network: `${API_BASE}projects/${project}/global/networks/default`,
    direction: b.direction === 'EGRESS' ? 'EGRESS' : 'INGRESS', priority: Number(b.priority ?? 1000),
    sourceRanges: strs(b.sourceRanges), sourceTags: strs(b.sourceTags), targetTags: strs(b.targetTags),
    allowed: rules(b.allowed), denied: rules(b.denied), created: ctx.cloud.now(),
    ...(typeof b.description === 'string' ? { description: b.description } : {}),
  };
  if (f.allowed.length === 0 && f.denied.length === 0) throw new GceError(400, 'invalid', "Invalid value for field 'resource.allowed': ''. Exactly one of allowed or denied must be given.");
  for (const r of [...f.allowed, ...f.denied]) {
    if (!['tcp', 'udp', 'icmp', 'esp', 'ah', 'sctp', 'ipip', 'all'].includes(r.IPProtocol)) throw new GceError(400, 'invalid', `Invalid value for field 'resource.allowed[0].IPProtocol': '${r.IPProtocol}'. Invalid IP protocol.`);
  }
  if (f.direction === 'INGRESS' && f.sourceRanges.length === 0 && f.sourceTags.length === 0) f.sourceRanges = ['0.0.0.0/0'];
  return f;
}

export const CATALOG_HANDLERS = {
  'machineTypes.get': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const zone = zoneParam(ctx);
    const m = MACHINE_TYPES.find((t) => t.name === ctx.params.machineType);
    if (m === undefined) throw notFound(`projects/${project}/zones/${zone}/machineTypes/${ctx.params.machineType ?? ''}`);
    return machineType(project, zone, m);
  },
  'machineTypes.list': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const zone = zoneParam(ctx);
    return listOf(ctx, 'compute#machineTypeList', MACHINE_TYPES.map((m) => machineType(project, zone, m)));
  },
  'images.getFromFamily': (ctx: Ctx) => {
    const p = ctx.params.project ?? '';
    const i = imageFromFamily(p, ctx.params.family ?? '');
    if (i === undefined) throw notFound(`projects/${p}/global/images/family/${ctx.params.family ?? ''}`);
    return image(p, i);
  },
  'images.get': (ctx: Ctx) => {
    const p = ctx.params.project ?? '';
    const i = (PUBLIC_IMAGES[p] ?? []).find((x) => x.name === ctx.params.image);
    if (i === undefined) throw notFound(`projects/${p}/global/images/${ctx.params.image ?? ''}`);
    return image(p, i);
  },
  'projects.get': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const { cloud } = ctx;
    return {
      kind: 'compute#project', id: cloud.opts.projectNumber, name: project, creationTimestamp: iso(Date.UTC(2025, 0, 1)),
      commonInstanceMetadata: { kind: 'compute#metadata', fingerprint: 'pmd0000000=', items: cloud.projectMetadata },
      defaultServiceAccount: cloud.defaultServiceAccount, xpnProjectStatus: 'UNSPECIFIED_XPN_PROJECT_STATUS',
      defaultNetworkTier: 'PREMIUM', selfLink: `${API_BASE}projects/${project}`,
      quotas: [{ metric: 'FIREWALLS', limit: 200, usage: cloud.firewalls.size }],
    };
  },
  'zones.list': (ctx: Ctx) => {
    const project = projectParam(ctx);
    return listOf(ctx, 'compute#zoneList', Object.entries(REGIONS).flatMap(([r, zs]) => zs.map((z) => ({
      kind: 'compute#zone', id: String(2000 + z.length), name: z, status: 'UP', region: `${API_BASE}projects/${project}/regions/${r}`, selfLink: zoneUrl(project, z),
    }))));
  },
  'zones.get': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const z = zoneParam(ctx);
    return { kind: 'compute#zone', id: String(2000 + z.length), name: z, status: 'UP', region: `${API_BASE}projects/${project}/regions/${regionOf(z) ?? ''}`, selfLink: zoneUrl(project, z) };
  },
  'regions.list': (ctx: Ctx) => {
    const project = projectParam(ctx);
    return listOf(ctx, 'compute#regionList', Object.keys(REGIONS).map((r) => region(ctx, project, r)));
  },
  'regions.get': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const r = ctx.params.region ?? '';
    if (REGIONS[r] === undefined) throw notFound(`projects/${project}/regions/${r}`);
    return region(ctx, project, r);
  },
  'firewalls.insert': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const again = replay(ctx);
    if (again.op !== undefined) return again.op;
    const f = firewallBody(ctx, project);
    if (ctx.cloud.firewalls.has(f.name)) throw new GceError(409, 'alreadyExists', `The resource 'projects/${project}/global/firewalls/${f.name}' already exists`);
    ctx.cloud.firewalls.set(f.name, f);
    const op = ctx.cloud.newOperation({ operationType: 'insert', targetLink: `${API_BASE}projects/${project}/global/firewalls/${f.name}`, targetId: f.id, user: ctx.who.principal, requestId: again.requestId, method: ctx.method });
    return renderOperation(project, op);
  },
  'firewalls.get': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const f = ctx.cloud.firewalls.get(ctx.params.firewall ?? '');
    if (f === undefined) throw notFound(`projects/${project}/global/firewalls/${ctx.params.firewall ?? ''}`);
    return renderFirewall(project, f);
  },
  'firewalls.list': (ctx: Ctx) => {
    const project = projectParam(ctx);
    return listOf(ctx, 'compute#firewallList', [...ctx.cloud.firewalls.values()].sort((a, b) => a.name.localeCompare(b.name)).map((f) => renderFirewall(project, f)));
  },
  'firewalls.delete': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const again = replay(ctx);
    if (again.op !== undefined) return again.op;
    const f = ctx.cloud.firewalls.get(ctx.params.firewall ?? '');
    if (f === undefined) throw notFound(`projects/${project}/global/firewalls/${ctx.params.firewall ?? ''}`);
    ctx.cloud.firewalls.delete(f.name);
    const op = ctx.cloud.newOperation({ operationType: 'delete', targetLink: `${API_BASE}projects/${project}/global/firewalls/${f.name}`, targetId: f.id, user: ctx.who.principal, requestId: again.requestId, method: ctx.method });
    return renderOperation(project, op);
  },
};
