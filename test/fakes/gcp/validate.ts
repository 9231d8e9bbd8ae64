// What instances.insert and bulkInsert accept, and the answers GCE gives for what they do not. Ray's configs write
// short machine, disk and accelerator type names and `scheduling` as a list: insert takes only (partial) URLs for
// the types, and a list where an object belongs is refused by the JSON front end. bulkInsert's instanceProperties
// are the other way round: type names only (a URL there is GCE's INTERNAL_ERROR).
import { ACCELERATOR_TYPES, DISK_TYPES, imageFromFamily, MACHINE_TYPES, PUBLIC_IMAGES, type MachineTypeInfo } from './catalog.js';
import { badPayload, GceError, invalidField, notFound } from './errors.js';
import { API_BASE, type InstanceRequest, type Scheduling } from './model.js';

export const NAME_RE = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY_RE = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE_RE = /^[a-z0-9_-]{0,63}$/;
const METADATA_KEY_RE = /^[a-zA-Z0-9_-]{1,128}$/;

/** What an instance is made from, after validation: its request, and its machine type as the catalog knows it. */
export interface InstanceSpec extends InstanceRequest {
  machineType: MachineTypeInfo;
}

export interface ValidateContext {
  project: string;
  zone: string;
  /** insert: types as (partial) URLs; bulk: instanceProperties with type names */
  mode: 'insert' | 'bulk';
  serviceAccounts: Set<string>;
  defaultServiceAccount: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const OBJECT_FIELDS = ['scheduling', 'metadata', 'tags', 'labels'];
const LIST_FIELDS = ['disks', 'networkInterfaces', 'serviceAccounts', 'guestAccelerators'];

/** The JSON front end's shape check: it runs before any value is looked at, so it is a plain 400 on the call. */
export function checkShape(body: Obj, at: string): void {
  for (const f of OBJECT_FIELDS) {
    if (Array.isArray(body[f])) throw badPayload(`Unknown name "${f}" at '${at}': Proto field is not repeating, cannot start list.`, `${at}.${f}`);
  }
  for (const f of LIST_FIELDS) {
    if (body[f] !== undefined && !Array.isArray(body[f])) throw badPayload(`Invalid value at '${at}.${f}': Proto field is repeating, expected a list.`, `${at}.${f}`);
  }
}

/** `zones/Z/<kind>/NAME` (optionally with projects/P/ or the API's URL before it) → NAME, else undefined. */
function zonalName(v: string, kind: string, project: string): { name: string; zone: string } | undefined {
  const m = new RegExp(`^(?:https://(?:www|compute)\\.googleapis\\.com/compute/v1/)?(?:projects/([^/]+)/)?zones/([^/]+)/${kind}/([^/]+)$`).exec(v);
  if (m === null || (m[1] !== undefined && m[1] !== project)) return undefined;
  return { zone: m[2] ?? '', name: m[3] ?? '' };
}

function typeRef(v: unknown, field: string, kind: string, ctx: ValidateContext): string {
  if (typeof v !== 'string' || v === '') throw invalidField(field, v ?? '', 'The field is required.');
  if (ctx.mode === 'bulk') {
    if (v.includes('/')) throw new GceError(500, 'backendError', 'Internal error. Please try again or contact Google Support. (Code: \'INTERNAL_ERROR\')');
    return v;
  }
  const z = zonalName(v, kind, ctx.project);
  if (z === undefined) throw invalidField(field, v, `The URL is malformed. Expected a full or partial URL such as 'zones/${ctx.zone}/${kind}/NAME'.`);
  if (z.zone !== ctx.zone) throw invalidField(field, v, `The ${kind} must be in the instance's zone '${ctx.zone}'.`);
  return z.name;
}

function sourceImage(v: string, field: string, ctx: ValidateContext): string {
  const m = /^(?:https:\/\/(?:www|compute)\.googleapis\.com\/compute\/v1\/)?(?:projects\/([^/]+)\/)?global\/images\/(family\/)?([^/]+)$/.exec(v);
  if (m === null) throw invalidField(field, v, 'The URL is malformed.');
  const project = m[1] ?? ctx.project;
  const name = m[3] ?? '';
  const image = m[2] !== undefined ? imageFromFamily(project, name) : (PUBLIC_IMAGES[project] ?? []).find((i) => i.name === name);
  if (image === undefined) throw notFound(`projects/${project}/global/images/${m[2] ?? ''}${name}`);
  return `${API_BASE}projects/${project}/global/images/${image.name}`;
}

function scheduling(v: unknown, at: string, accelerators: boolean): Scheduling {
  const s = isObj(v) ? v : {};
  const model = s.provisioningModel ?? 'STANDARD';
  if (model !== 'STANDARD' && model !== 'SPOT') throw invalidField(`${at}.scheduling.provisioningModel`, model, 'Must be STANDARD or SPOT.');
  const preemptible = s.preemptible === true;
  if (preemptible && model === 'SPOT') throw invalidField(`${at}.scheduling.preemptible`, 'true', 'Preemptible and SPOT are two provisioning models; set only provisioningModel: SPOT.');
  const interruptible = preemptible || model === 'SPOT';
  const automaticRestart = typeof s.automaticRestart === 'boolean' ? s.automaticRestart : !interruptible;
  if (interruptible && automaticRestart) throw invalidField(`${at}.scheduling.automaticRestart`, 'true', 'Preemptible and Spot instances cannot be automatically restarted.');
  const ohm = s.onHostMaintenance ?? (interruptible || accelerators ? 'TERMINATE' : 'MIGRATE');
  if (ohm !== 'MIGRATE' && ohm !== 'TERMINATE') throw invalidField(`${at}.scheduling.onHostMaintenance`, ohm, 'Must be MIGRATE or TERMINATE.');
  if (ohm === 'MIGRATE' && interruptible) throw invalidField(`${at}.scheduling.onHostMaintenance`, ohm, 'Preemptible and Spot instances must terminate on host maintenance.');
  if (ohm === 'MIGRATE' && accelerators) throw invalidField(`${at}.scheduling.onHostMaintenance`, ohm, 'Instances with guest accelerators do not support live migration.');
  const action = s.instanceTerminationAction;
  if (action !== undefined && action !== 'STOP' && action !== 'DELETE') throw invalidField(`${at}.scheduling.instanceTerminationAction`, action, 'Must be STOP or DELETE.');
  if (action !== undefined && !interruptible) throw invalidField(`${at}.scheduling.instanceTerminationAction`, action, 'Only Spot and preemptible instances have a termination action.');
  return { provisioningModel: model, preemptible, automaticRestart, onHostMaintenance: ohm, ...(action === undefined ? {} : { instanceTerminationAction: action }) };
}

export function validateLabels(v: unknown, field: string): Record<string, string> {
  if (v === undefined) return {};
  if (!isObj(v)) throw invalidField(field, v, 'Labels are a map.');
  const entries = Object.entries(v);
  if (entries.length > 64) throw invalidField(field, '', 'At most 64 labels.');
  for (const [k, val] of entries) {
    if (!LABEL_KEY_RE.test(k)) throw invalidField(field, '', `Label key '${k}' violates format constraints. The key must start with a lowercase character, can only contain lowercase letters, numeric characters, underscores and dashes. The key can be at most 63 characters long.`);
    if (typeof val !== 'string' || !LABEL_VALUE_RE.test(val)) throw invalidField(field, '', `Label value '${String(val)}' violates format constraints. The value can only contain lowercase letters, numeric characters, underscores and dashes. The value can be at most 63 characters long.`);
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

function metadataItems(v: unknown, at: string): { key: string; value: string }[] {
  const items = isObj(v) ? v.items : undefined;
  if (items === undefined) return [];
  if (!Array.isArray(items)) throw badPayload(`Invalid value at '${at}.metadata.items': Proto field is repeating, expected a list.`, `${at}.metadata.items`);
  const seen = new Set<string>();
  let size = 0;
  const out = items.map((it: unknown, n) => {
    const key = isObj(it) ? it.key : undefined;
    const value = isObj(it) ? it.value ?? '' : '';
    if (typeof key !== 'string' || !METADATA_KEY_RE.test(key)) throw invalidField(`${at}.metadata.items[${n}].key`, key ?? '', 'Must be a match of regex \'[a-zA-Z0-9-_]{1,128}\'.');
    if (seen.has(key)) throw invalidField(`${at}.metadata.items[${n}].key`, key, 'Duplicate metadata key.');
    seen.add(key);
    size += key.length + String(value).length;
    return { key, value: String(value) };
  });
  if (size > 512 * 1024) throw invalidField(`${at}.metadata`, '', 'Metadata is limited to 512 KB in total.');
  return out;
}

function network(v: string | undefined, project: string): string {
  const name = v === undefined ? 'default' : /(?:^|\/)global\/networks\/([^/]+)$/.exec(v)?.[1];
  if (name === undefined) throw invalidField('networkInterfaces[0].network', v ?? '', 'The URL is malformed.');
  if (name !== 'default') throw notFound(`projects/${project}/global/networks/${name}`);
  return `${API_BASE}projects/${project}/global/networks/${name}`;
}

/** Validates an instance (insert) or instanceProperties (bulkInsert) body. */
export function validateInstanceBody(body: Obj, at: string, ctx: ValidateContext): InstanceSpec {
  checkShape(body, at);
  if (isObj(body.scheduling)) checkShape(body.scheduling, `${at}.scheduling`);
  const mtName = typeRef(body.machineType, `${at}.machineType`, 'machineTypes', ctx);
  const machineType = MACHINE_TYPES.find((m) => m.name === mtName);
  if (machineType === undefined) throw invalidField(`${at}.machineType`, body.machineType, `Machine type with name '${mtName}' does not exist in zone '${ctx.zone}'.`);
  const disks = (body.disks as unknown[] | undefined) ?? [];
  if (disks.length === 0 || !disks.some((d) => isObj(d) && d.boot === true)) throw new GceError(400, 'invalid', `Invalid value for field '${at}.disks': ''. Boot disk must be specified.`);
  const normDisks = disks.map((d, n) => {
    if (!isObj(d)) throw invalidField(`${at}.disks[${n}]`, d, 'A disk is an object.');
    const ip = isObj(d.initializeParams) ? { ...d.initializeParams } : undefined;
    if (ip === undefined && typeof d.source !== 'string') throw invalidField(`${at}.disks[${n}]`, '', 'Source or initializeParams is required.');
    if (ip !== undefined) {
      if (ip.diskType !== undefined) {
        const t = typeRef(ip.diskType, `${at}.disks[${n}].initializeParams.diskType`, 'diskTypes', ctx);
        if (!DISK_TYPES.includes(t)) throw notFound(`projects/${ctx.project}/zones/${ctx.zone}/diskTypes/${t}`);
        ip.diskType = t;
      }
      if (d.boot === true) {
        if (typeof ip.sourceImage !== 'string') throw invalidField(`${at}.disks[${n}].initializeParams.sourceImage`, '', 'A boot disk needs a source image.');
        ip.sourceImage = sourceImage(ip.sourceImage, `${at}.disks[${n}].initializeParams.sourceImage`, ctx);
      }
    }
    return { ...d, ...(ip === undefined ? {} : { initializeParams: ip }) };
  });
  const accs = ((body.guestAccelerators as unknown[] | undefined) ?? []).map((g, n) => {
    const o = isObj(g) ? g : {};
    const t = typeRef(o.acceleratorType, `${at}.guestAccelerators[${n}].acceleratorType`, 'acceleratorTypes', ctx);
    const info = ACCELERATOR_TYPES[t];
    if (info === undefined) throw notFound(`projects/${ctx.project}/zones/${ctx.zone}/acceleratorTypes/${t}`);
    if (!info.attachableTo.test(machineType.name)) throw invalidField(`${at}.guestAccelerators[${n}].acceleratorType`, t, `Accelerator type '${t}' cannot be attached to machine type '${machineType.name}'.`);
    return { acceleratorType: t, acceleratorCount: Number(o.acceleratorCount ?? 1) };
  });
  const sched = scheduling(body.scheduling, at, accs.length > 0 || (machineType.accelerators?.length ?? 0) > 0);
  const nics = (body.networkInterfaces as unknown[] | undefined) ?? [];
  const nic = nics[0];
  if (!isObj(nic)) throw new GceError(400, 'invalid', `Invalid value for field '${at}.networkInterfaces': ''. At least one network interface is required.`);
  const sas = ((body.serviceAccounts as unknown[] | undefined) ?? []).map((s, n) => {
    const o = isObj(s) ? s : {};
    const email = o.email === 'default' || o.email === undefined ? ctx.defaultServiceAccount : String(o.email);
    if (!ctx.serviceAccounts.has(email)) throw invalidField(`${at}.serviceAccounts[${n}].email`, email, 'The service account does not exist.');
    return { email, scopes: Array.isArray(o.scopes) ? o.scopes.map(String) : [] };
  });
  const tags = isObj(body.tags) && Array.isArray(body.tags.items) ? body.tags.items.map(String) : [];
  for (const t of tags) if (!NAME_RE.test(t)) throw invalidField(`${at}.tags.items`, t, 'Must be a match of regex \'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)\'.');
  return {
    machineType,
    labels: validateLabels(body.labels, `${at}.labels`),
    metadata: metadataItems(body.metadata, at),
    tags,
    scheduling: sched,
    serviceAccounts: sas,
    disks: normDisks,
    guestAccelerators: accs,
    network: network(typeof nic.network === 'string' ? nic.network : undefined, ctx.project),
    ...(typeof nic.subnetwork === 'string' ? { subnetwork: nic.subnetwork } : {}),
    external: Array.isArray(nic.accessConfigs) && nic.accessConfigs.length > 0,
    ...(typeof body.description === 'string' ? { description: body.description } : {}),
    ...(typeof body.hostname === 'string' ? { hostname: body.hostname } : {}),
  };
}

export function validateName(name: unknown, field: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name)) throw invalidField(field, name ?? '', 'Must be a match of regex \'(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)\'.');
  return name;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function validateRequestId(v: string | null): string | undefined {
  if (v === null || v === '') return undefined;
  if (!UUID_RE.test(v) || /^[0-]+$/.test(v)) throw invalidField('requestId', v, 'The request id must be a valid UUID with the exception that zero UUID is not supported.');
  return v.toLowerCase();
}
