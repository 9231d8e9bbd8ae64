// Zone and global operations: get, and wait, which holds the call until the operation is DONE or two minutes
// (of the fake's clock) have passed, then answers its state either way, as GCE does.
import { GceError, notFound } from './errors.js';
import type { Ctx } from './handler.js';
import { projectParam, zoneParam } from './instances.js';
import { renderOperation, type Operation } from './model.js';
import { filterOf, page } from './paging.js';

export const WAIT_MS = 120_000;

function find(ctx: Ctx, zonal: boolean): { project: string; op: Operation } {
  const project = projectParam(ctx);
  const zone = zonal ? zoneParam(ctx) : undefined;
  const name = ctx.params.operation ?? '';
  const op = ctx.cloud.operations.get(name);
  if (op === undefined || op.zone !== zone) throw notFound(`projects/${project}/${zone === undefined ? 'global' : `zones/${zone}`}/operations/${name}`);
  return { project, op };
}

async function wait(ctx: Ctx, zonal: boolean): Promise<unknown> {
  const { project, op } = find(ctx, zonal);
  const { cloud } = ctx;
  if (op.status !== 'DONE') {
    await new Promise<void>((resolve) => {
      const done = (): void => {
        cloud.off('change', onChange);
        cloud.off('close', done);
        cancel();
        resolve();
      };
      const onChange = (e: { operation?: string }): void => { if (e.operation === op.name) done(); };
      const cancel = cloud.at(cloud.now() + WAIT_MS, done);
      cloud.on('change', onChange);
      cloud.on('close', done);
      // Tests wait for this event, never for time, to know the call is being held.
      cloud.emit('waiting', { operation: op.name });
    });
  }
  return renderOperation(project, op);
}

function list(ctx: Ctx, zonal: boolean): unknown {
  const project = projectParam(ctx);
  const zone = zonal ? zoneParam(ctx) : undefined;
  const pred = filterOf(ctx.query);
  const all = [...ctx.cloud.operations.values()].filter((o) => o.zone === zone).map((o) => renderOperation(project, o)).filter(pred);
  const p = page(all, ctx.query, ctx.cloud.opts.pageSize);
  return { kind: 'compute#operationList', items: p.items, ...(p.nextPageToken === undefined ? {} : { nextPageToken: p.nextPageToken }) };
}

export const OPERATION_HANDLERS = {
  'zoneOperations.get': (ctx: Ctx) => { const { project, op } = find(ctx, true); return renderOperation(project, op); },
  'zoneOperations.wait': (ctx: Ctx) => wait(ctx, true),
  'zoneOperations.list': (ctx: Ctx) => list(ctx, true),
  'globalOperations.get': (ctx: Ctx) => { const { project, op } = find(ctx, false); return renderOperation(project, op); },
  'globalOperations.wait': (ctx: Ctx) => wait(ctx, false),
  'globalOperations.list': (ctx: Ctx) => list(ctx, false),
  'zoneOperations.delete': (ctx: Ctx) => {
    const { op } = find(ctx, true);
    if (op.status !== 'DONE') throw new GceError(400, 'resourceNotReady', 'The operation is not done.');
    ctx.cloud.operations.delete(op.name);
    return {};
  },
};
