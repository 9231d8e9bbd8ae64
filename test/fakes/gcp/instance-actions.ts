// The calls on existing instances: get, delete, stop, start, suspend, resume, list, aggregatedList and
// getGuestAttributes (where `gcloud compute ssh --strict-host-key-checking` reads the host keys).
import { REGIONS } from './catalog.js';
import type { Cloud } from './cloud.js';
import { GceError, notFound } from './errors.js';
import type { Ctx } from './handler.js';
import { insert, bulkInsert, projectParam, replay, zoneParam } from './instances.js';
import { renderInstance, renderOperation, zoneUrl, type Instance } from './model.js';
import { filterOf, page } from './paging.js';
import { fit } from './placement.js';

function find(ctx: Ctx): { project: string; zone: string; inst: Instance } {
  const project = projectParam(ctx);
  const zone = zoneParam(ctx);
  const name = ctx.params.instance ?? '';
  const inst = ctx.cloud.instances.get(ctx.cloud.key(zone, name));
  if (inst === undefined) throw notFound(`projects/${project}/zones/${zone}/instances/${name}`);
  return { project, zone, inst };
}

function notReady(project: string, inst: Instance): GceError {
  return new GceError(400, 'resourceNotReady', `The resource 'projects/${project}/zones/${inst.zone}/instances/${inst.name}' is not ready`);
}

/** An instance call answered by an operation, made idempotent by its requestId. */
function action(operationType: string, apply: (cloud: Cloud, project: string, inst: Instance) => { error?: import('./errors.js').OperationError } | void) {
  return (ctx: Ctx): unknown => {
    const again = replay(ctx);
    if (again.op !== undefined) return again.op;
    const { project, zone, inst } = find(ctx);
    const outcome = apply(ctx.cloud, project, inst);
    const op = ctx.cloud.newOperation({ zone, operationType, targetLink: `${zoneUrl(project, zone)}/instances/${inst.name}`, targetId: inst.id, user: ctx.who.principal, requestId: again.requestId, method: ctx.method });
    if (outcome?.error !== undefined) op.error = outcome.error;
    return renderOperation(project, op);
  };
}

/** Stopped or suspended, coming back: a host and capacity again, or the same errors an insert meets. */
function restart(cloud: Cloud, inst: Instance): { error?: import('./errors.js').OperationError } | undefined {
  const placed = fit(cloud, inst.zone, { machineType: { name: inst.machineType }, guestAccelerators: inst.guestAccelerators }, 1, 1, inst);
  if ('error' in placed) return { error: placed.error };
  inst.lease = cloud.opts.pool.take(inst.name);
  cloud.faults.consumeCapacity(inst.zone, inst.machineType, 1);
  cloud.transition(inst, 'PROVISIONING');
  return undefined;
}

function scoped(cloud: Cloud, predicate: (i: Instance) => boolean): Instance[] {
  const out: Instance[] = [];
  for (const i of cloud.instances.values()) {
    if (!predicate(i)) continue;
    // A new instance the list does not show yet (faults.listLag); each list call brings it closer.
    if (i.listHiddenFor > 0) {
      i.listHiddenFor -= 1;
      continue;
    }
    out.push(i);
  }
  return out.sort((a, b) => a.zone.localeCompare(b.zone) || a.name.localeCompare(b.name));
}

export const INSTANCE_HANDLERS = {
  'instances.insert': insert,
  'instances.bulkInsert': bulkInsert,
  'instances.get': (ctx: Ctx) => {
    const { project, inst } = find(ctx);
    return renderInstance(project, inst);
  },
  'instances.delete': action('delete', (cloud, _p, inst) => cloud.halt(inst, 'DELETED')),
  'instances.stop': action('stop', (cloud, _p, inst) => {
    if (inst.status !== 'TERMINATED') cloud.halt(inst, 'TERMINATED');
  }),
  'instances.start': action('start', (cloud, project, inst) => {
    if (inst.status === 'TERMINATED') return restart(cloud, inst);
    if (inst.status === 'STOPPING' || inst.status === 'SUSPENDING' || inst.status === 'SUSPENDED') throw notReady(project, inst);
    return undefined;
  }),
  'instances.suspend': action('suspend', (cloud, project, inst) => {
    if (inst.status === 'SUSPENDED') return;
    if (inst.status !== 'RUNNING') throw notReady(project, inst);
    cloud.transition(inst, 'SUSPENDING');
  }),
  'instances.resume': action('resume', (cloud, project, inst) => {
    if (inst.status !== 'SUSPENDED') throw notReady(project, inst);
    return restart(cloud, inst);
  }),
  'instances.list': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const zone = zoneParam(ctx);
    const pred = filterOf(ctx.query);
    const all = scoped(ctx.cloud, (i) => i.zone === zone).map((i) => renderInstance(project, i)).filter(pred);
    const p = page(all, ctx.query, ctx.cloud.opts.pageSize);
    return { kind: 'compute#instanceList', id: `projects/${project}/zones/${zone}/instances`, items: p.items, selfLink: `${zoneUrl(project, zone)}/instances`, ...(p.nextPageToken === undefined ? {} : { nextPageToken: p.nextPageToken }) };
  },
  'instances.aggregatedList': (ctx: Ctx) => {
    const project = projectParam(ctx);
    const pred = filterOf(ctx.query);
    const all = scoped(ctx.cloud, () => true).map((i) => ({ zone: i.zone, r: renderInstance(project, i) })).filter((x) => pred(x.r));
    const p = page(all, ctx.query, ctx.cloud.opts.pageSize);
    const items: Record<string, unknown> = {};
    // GCE answers every scope on every page; a scope with nothing on this page carries a warning instead.
    for (const zone of Object.values(REGIONS).flat()) {
      const here = p.items.filter((x) => x.zone === zone).map((x) => x.r);
      items[`zones/${zone}`] = here.length > 0 ? { instances: here } : {
        warning: { code: 'NO_RESULTS_ON_PAGE', message: `There are no results for scope 'zones/${zone}' on this page.`, data: [{ key: 'scope', value: `zones/${zone}` }] },
      };
    }
    return { kind: 'compute#instanceAggregatedList', id: `projects/${project}/aggregated/instances`, items, selfLink: `https://www.googleapis.com/compute/v1/projects/${project}/aggregated/instances`, ...(p.nextPageToken === undefined ? {} : { nextPageToken: p.nextPageToken }) };
  },
  'instances.getGuestAttributes': (ctx: Ctx) => {
    const { project, zone, inst } = find(ctx);
    const md = ctx.cloud.metadataOf(inst);
    if ((md['enable-guest-attributes'] ?? '').toUpperCase() !== 'TRUE') throw new GceError(400, 'badRequest', 'Guest attributes are disabled for this instance. Set the metadata key enable-guest-attributes to TRUE.');
    const attrs = new Map(inst.guestAttributes);
    const forged = ctx.cloud.faults.hostKeyOverrides.get(inst.name);
    if (forged !== undefined && attrs.size > 0) {
      for (const k of [...attrs.keys()]) if (k.startsWith('hostkeys/')) attrs.delete(k);
      attrs.set(`hostkeys/${forged.keyType}`, forged.key);
    }
    const link = `${zoneUrl(project, zone)}/instances/${inst.name}/guestAttributes/`;
    const variableKey = ctx.query.get('variableKey');
    if (variableKey !== null && variableKey !== '') {
      const v = attrs.get(variableKey);
      if (v === undefined) throw notFound(`projects/${project}/zones/${zone}/instances/${inst.name}/guestAttributes/${variableKey}`);
      return { kind: 'compute#guestAttributes', variableKey, variableValue: v, selfLink: `${link}${variableKey}` };
    }
    const queryPath = ctx.query.get('queryPath') ?? '';
    const items = [...attrs.entries()].filter(([k]) => k.startsWith(queryPath)).map(([k, value]) => {
      const slash = k.indexOf('/');
      return { namespace: k.slice(0, slash), key: k.slice(slash + 1), value };
    });
    if (items.length === 0) throw notFound(`projects/${project}/zones/${zone}/instances/${inst.name}/guestAttributes/${queryPath}`);
    return { kind: 'compute#guestAttributes', queryPath, queryValue: { items }, selfLink: `${link}${queryPath}` };
  },
};
