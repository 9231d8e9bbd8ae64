// instances.insert and bulkInsert: validation, idempotency by requestId, placement, and the operation that
// reports the outcome (capacity and quota errors arrive inside it, as on GCE).
import { REGIONS } from './catalog.js';
import type { Cloud } from './cloud.js';
import { GceError, invalidField, notFound } from './errors.js';
import type { Ctx } from './handler.js';
import { renderOperation, zoneUrl, type Instance, type Operation } from './model.js';
import { fit } from './placement.js';
import { checkShape, validateInstanceBody, validateName, validateRequestId, type InstanceSpec } from './validate.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function zoneParam(ctx: Ctx): string {
  const zone = ctx.params.zone ?? '';
  if (!Object.values(REGIONS).some((zs) => zs.includes(zone))) throw notFound(`projects/${ctx.cloud.opts.project}/zones/${zone}`);
  return zone;
}

export function projectParam(ctx: Ctx): string {
  const p = ctx.params.project ?? '';
  if (p !== ctx.cloud.opts.project) throw new GceError(403, 'forbidden', `Permission denied on resource project ${p}.`);
  return p;
}

/** A call repeated with the requestId of one already made gets that call's operation back, and does nothing. */
export function replay(ctx: Ctx): { requestId?: string; op?: Obj } {
  const requestId = validateRequestId(ctx.query.get('requestId'));
  if (requestId === undefined) return {};
  const name = ctx.cloud.requestIds.get(requestId);
  const op = name === undefined ? undefined : ctx.cloud.operations.get(name);
  return { requestId, ...(op === undefined ? {} : { op: renderOperation(ctx.cloud.opts.project, op) }) };
}

function instanceLink(project: string, zone: string, name: string): string {
  return `${zoneUrl(project, zone)}/instances/${name}`;
}

function create(cloud: Cloud, zone: string, name: string, spec: InstanceSpec): Instance {
  const lease = cloud.opts.pool.take(name);
  if (lease === undefined) throw new Error('fake GCP: placement allowed a launch the host pool cannot take');
  cloud.faults.consumeCapacity(zone, spec.machineType.name, 1);
  const inst: Instance = {
    id: cloud.nextId(), name, zone, machineType: spec.machineType.name, status: 'PROVISIONING', created: cloud.now(),
    labels: spec.labels, labelFingerprint: 'lbl0000000=', metadata: spec.metadata, metadataFingerprint: 'md00000000=',
    tags: spec.tags, scheduling: spec.scheduling, serviceAccounts: spec.serviceAccounts, disks: spec.disks,
    guestAccelerators: spec.guestAccelerators, network: spec.network, subnetwork: spec.subnetwork, external: spec.external,
    lease, networkIP: lease.privateIp, preempted: false, guestAttributes: new Map(), listHiddenFor: cloud.faults.listLag,
    description: spec.description, hostname: spec.hostname,
  };
  cloud.add(inst);
  return inst;
}

function checkFree(cloud: Cloud, project: string, zone: string, name: string): void {
  if (cloud.instances.has(cloud.key(zone, name))) throw new GceError(409, 'alreadyExists', `The resource 'projects/${project}/zones/${zone}/instances/${name}' already exists`);
}

export function insert(ctx: Ctx): unknown {
  const { cloud } = ctx;
  const project = projectParam(ctx);
  const zone = zoneParam(ctx);
  const again = replay(ctx);
  if (again.op !== undefined) return again.op;
  checkShape(ctx.body, 'resource');
  const name = validateName(ctx.body.name, 'resource.name');
  checkFree(cloud, project, zone, name);
  const spec = validateInstanceBody(ctx.body, 'resource', { project, zone, mode: 'insert', serviceAccounts: cloud.serviceAccounts, defaultServiceAccount: cloud.defaultServiceAccount });
  const placed = fit(cloud, zone, spec, 1, 1);
  const inst = 'error' in placed ? undefined : create(cloud, zone, name, spec);
  const op = cloud.newOperation({ zone, operationType: 'insert', targetLink: instanceLink(project, zone, name), targetId: inst?.id, user: ctx.who.principal, requestId: again.requestId, method: ctx.method });
  if ('error' in placed) op.error = placed.error;
  return renderOperation(project, op);
}

/** Names for a bulk insert: perInstanceProperties' keys first, then the pattern's #### counting on past the highest in use. */
function bulkNames(cloud: Cloud, project: string, zone: string, body: Obj, count: number): string[] {
  const per = isObj(body.perInstanceProperties) ? Object.keys(body.perInstanceProperties) : [];
  const names = per.map((n) => validateName(n, 'resource.perInstanceProperties'));
  const pattern = body.namePattern;
  if (names.length < count) {
    if (typeof pattern !== 'string') throw invalidField('resource.namePattern', '', 'Either namePattern or perInstanceProperties must name every instance.');
    const m = /^([^#]*)(#{1,7})([^#]*)$/.exec(pattern);
    if (m === null) throw invalidField('resource.namePattern', pattern, 'The name pattern must contain one sequence of 1 to 7 \'#\' characters.');
    const [, pre = '', hashes = '', post = ''] = m;
    const taken = new RegExp(`^${pre.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d{${hashes.length},})${post.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    let next = 1;
    for (const i of cloud.instances.values()) {
      const d = taken.exec(i.name)?.[1];
      if (i.zone === zone && d !== undefined) next = Math.max(next, Number(d) + 1);
    }
    while (names.length < count) {
      const name = `${pre}${String(next).padStart(hashes.length, '0')}${post}`;
      next += 1;
      if (!names.includes(name)) names.push(validateName(name, 'resource.namePattern'));
    }
  }
  if (names.length > count) throw invalidField('resource.count', count, 'perInstanceProperties names more instances than count.');
  if (new Set(names).size !== names.length) throw invalidField('resource.perInstanceProperties', '', 'Duplicate instance names.');
  for (const n of names) checkFree(cloud, project, zone, n);
  return names;
}

export function bulkInsert(ctx: Ctx): unknown {
  const { cloud, body } = ctx;
  const project = projectParam(ctx);
  const zone = zoneParam(ctx);
  const again = replay(ctx);
  if (again.op !== undefined) return again.op;
  checkShape(body, 'resource');
  if (body.sourceInstanceTemplate !== undefined) throw invalidField('resource.sourceInstanceTemplate', body.sourceInstanceTemplate, 'Instance templates are not modelled by the fake.');
  const count = Number(body.count ?? 0);
  const minCount = Number(body.minCount ?? count);
  if (!Number.isInteger(count) || count < 1 || count > 1000) throw invalidField('resource.count', body.count ?? '', 'Count must be between 1 and 1000.');
  if (!Number.isInteger(minCount) || minCount < 1 || minCount > count) throw invalidField('resource.minCount', body.minCount ?? '', 'minCount must be between 1 and count.');
  if (!isObj(body.instanceProperties)) throw invalidField('resource.instanceProperties', '', 'instanceProperties is required.');
  const names = bulkNames(cloud, project, zone, body, count);
  const spec = validateInstanceBody(body.instanceProperties, 'resource.instanceProperties', { project, zone, mode: 'bulk', serviceAccounts: cloud.serviceAccounts, defaultServiceAccount: cloud.defaultServiceAccount });
  const placed = fit(cloud, zone, spec, count, minCount);
  const made = 'error' in placed ? [] : names.slice(0, placed.n).map((n) => create(cloud, zone, n, spec));
  const op: Operation = cloud.newOperation({ zone, operationType: 'bulkInsert', targetLink: zoneUrl(project, zone), user: ctx.who.principal, requestId: again.requestId, method: ctx.method });
  op.bulk = { zone, targetVmCount: count, createdVmCount: made.length, failedToCreateVmCount: count - made.length };
  if ('error' in placed) op.error = placed.error;
  return renderOperation(project, op);
}
