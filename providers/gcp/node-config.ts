/**
 * A node type's node_config, as Ray's configs write it, turned into the body Compute Engine takes. Ray's files give
 * `scheduling` as a list of one-key objects and machine, disk and accelerator types as short names: the REST API
 * wants one object, full or partial URLs in `instances.insert` and plain names in `bulkInsert`'s
 * instanceProperties. The client library drops a `scheduling` list without a word (the node would launch
 * on-demand), so the conversion happens here, before it. Pure.
 */
import { ProviderConfigError } from '../errors.js';

export type NodeConfig = Record<string, unknown>;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that make a node_config a TPU VM (Ray's TPU node type), not a Compute Engine instance. */
export const TPU_KEYS = ['acceleratorType', 'acceleratorConfig', 'runtimeVersion', 'schedulingConfig', 'networkConfig'] as const;

/** The API's two spellings of a type: `zones/Z/<kind>/NAME` for insert, NAME for bulkInsert. */
export type TypeForm = { mode: 'insert'; zone: string } | { mode: 'bulk' };

/** A type written as a name or any URL form, in the form the call takes. */
export function typeRef(v: unknown, kind: 'machineTypes' | 'diskTypes' | 'acceleratorTypes', form: TypeForm): unknown {
  if (typeof v !== 'string' || v === '') return v;
  const name = v.split('/').pop() ?? v;
  return form.mode === 'bulk' ? name : `zones/${form.zone}/${kind}/${name}`;
}

/** Ray's `scheduling: [{preemptible: true}, {onHostMaintenance: TERMINATE}]` as the one object the API takes. */
export function schedulingObject(v: unknown): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return Object.assign({}, ...v.filter(isObj)) as Obj;
  if (isObj(v)) return { ...v };
  throw new ProviderConfigError(`node_config.scheduling must be an object (or Ray's list of objects), got ${JSON.stringify(v)}`);
}

/** Ray's metadata and tags may be written as a list of items: the API takes `{items: [...]}`. */
const itemsObject = (v: unknown): Obj | undefined => (v === undefined ? undefined : Array.isArray(v) ? { items: v } : isObj(v) ? { ...v } : undefined);

/** node_config in the shape the API takes, for an insert in a zone or a bulkInsert's instanceProperties. */
export function toApiShape(nodeType: string, nc: NodeConfig, form: TypeForm): NodeConfig {
  const tpu = TPU_KEYS.filter((k) => k in nc);
  if (tpu.length > 0) {
    throw new ProviderConfigError(`node type ${nodeType} is a TPU node (${tpu.join(', ')}): TPU nodes are not supported yet`, {
      hint: 'use a Compute Engine machineType, with guestAccelerators for GPUs',
    });
  }
  const out: NodeConfig = { ...nc };
  if (nc.machineType !== undefined) out.machineType = typeRef(nc.machineType, 'machineTypes', form);
  const scheduling = schedulingObject(nc.scheduling);
  if (scheduling) out.scheduling = scheduling;
  else delete out.scheduling;
  for (const k of ['metadata', 'tags'] as const) {
    const v = itemsObject(nc[k]);
    if (v) out[k] = v;
  }
  if (Array.isArray(nc.disks)) {
    out.disks = nc.disks.map((d: unknown) => {
      if (!isObj(d) || !isObj(d.initializeParams)) return d;
      const ip = { ...d.initializeParams };
      if (ip.diskType !== undefined) ip.diskType = typeRef(ip.diskType, 'diskTypes', form);
      return { ...d, initializeParams: ip };
    });
  }
  if (Array.isArray(nc.guestAccelerators)) {
    out.guestAccelerators = nc.guestAccelerators.map((g: unknown) => (isObj(g) ? { ...g, acceleratorType: typeRef(g.acceleratorType, 'acceleratorTypes', form) } : g));
  }
  return out;
}

/** Whether the node is Spot or preemptible (GCE may take it back at any time). */
export function isInterruptible(scheduling: Obj | undefined): boolean {
  return scheduling?.preemptible === true || scheduling?.provisioningModel === 'SPOT';
}

export interface OwnParts {
  labels: Record<string, string>;
  /** Metadata items raylaunch sets; `ssh-keys` lines are added to the user's own. */
  metadata: Record<string, string>;
  networkTag: string;
  /** cache_stopped_nodes: a Spot or preemptible VM GCE takes back is kept stopped (GCE's default), to start again. */
  keepStopped: boolean;
}

/**
 * The instanceProperties of a bulkInsert: node_config in the API's shape with raylaunch's labels (which win),
 * metadata (ssh-keys appended to the user's lines), the network tag its firewall rules target, and Spot and
 * preemptible VMs deleted when GCE takes them back unless stopped nodes are cached: GCE's default stops them, and
 * a stopped VM that nobody starts again keeps costing money for its disk.
 */
export function instanceProperties(nodeType: string, nc: NodeConfig, own: OwnParts): NodeConfig {
  const out = toApiShape(nodeType, nc, { mode: 'bulk' });
  out.labels = { ...(isObj(out.labels) ? out.labels : {}), ...own.labels };
  const items = isObj(out.metadata) && Array.isArray(out.metadata.items) ? (out.metadata.items as Obj[]).map((i) => ({ ...i })) : [];
  for (const [key, value] of Object.entries(own.metadata)) {
    const have = items.find((i) => i.key === key);
    if (!have) items.push({ key, value });
    else if (key === 'ssh-keys') have.value = [String(have.value ?? '').trim(), value].filter((l) => l !== '').join('\n');
    else have.value = value;
  }
  out.metadata = { ...(isObj(out.metadata) ? out.metadata : {}), items };
  const tags = isObj(out.tags) && Array.isArray(out.tags.items) ? out.tags.items.map(String) : [];
  out.tags = { items: tags.includes(own.networkTag) ? tags : [...tags, own.networkTag] };
  const scheduling = isObj(out.scheduling) ? out.scheduling : undefined;
  if (!own.keepStopped && scheduling && isInterruptible(scheduling) && scheduling.instanceTerminationAction === undefined) {
    out.scheduling = { ...scheduling, instanceTerminationAction: 'DELETE' };
  }
  return out;
}

/** The machine type's name and the node's accelerators, for resources and messages. */
export function machineTypeName(nc: NodeConfig): string {
  return typeof nc.machineType === 'string' ? (nc.machineType.split('/').pop() ?? '') : '';
}

export function accelerators(nc: NodeConfig): { type: string; count: number }[] {
  if (!Array.isArray(nc.guestAccelerators)) return [];
  return nc.guestAccelerators.filter(isObj).map((g) => ({ type: String(g.acceleratorType ?? '').split('/').pop() ?? '', count: Number(g.acceleratorCount ?? 1) }));
}
