
import { connectDriver, type ConnectOptions, exitCodeNow } from './connect.js';
import { context, requireRuntime } from './context.js';
import type { Strategy } from '../protocol/messages.js';
import { boundHandle, handleRef, methodsOf } from './actor-handle.js';
import { ownBundleSources } from './bundle-sources.js';
import { ActorNotFoundError } from './errors.js';
import { describeFailure } from './failure.js';
import { ObjectRef } from './object-ref.js';
import { closeRegistry, register } from './registry.js';
import type {
  ActorClass, ActorHandle, ActorHandleOf, ActorOptions, AnyCtor, AnyFn, GetOptions, NodeInfo, PlacementGroup, RegisterOptions, RemoteFunction,
  ResourceDict, Resolved, TaskOptions,
} from './types.js';

const isClass = (f: unknown) => typeof f === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(f));

function remoteFunction<F extends AnyFn>(key: string, name: string, opts: TaskOptions): RemoteFunction<F> {
  return {
    key,
    remote: (...args) => requireRuntime(`${name}.remote()`).submitTask({ key, name }, args, opts) as ReturnType<RemoteFunction<F>['remote']>,
    options: (o) => remoteFunction<F>(key, name, { ...opts, ...o }),
  };
}

/**
 * The function object itself gets .remote/.options/.key too: inside `remote(function fib(n) { … fib.remote(…) })`
 * the name `fib` is bound to the function, not to what remote() returned, and recursion should just work.
 */
function attach<F extends AnyFn>(fn: F, rf: RemoteFunction<F>): RemoteFunction<F> {
  Object.defineProperties(fn, {
    key: { value: rf.key, configurable: true },
    remote: { value: rf.remote, configurable: true },
    options: { value: rf.options, configurable: true },
  });
  return rf;
}

/** Registers a function (a task) or a class (an actor) at the job module's top level. */
export function remote<C extends AnyCtor>(cls: C, opts?: ActorOptions & RegisterOptions): ActorClass<C>;
export function remote<F extends AnyFn>(fn: F, opts?: TaskOptions & RegisterOptions): RemoteFunction<F>;
export function remote(target: AnyFn | AnyCtor, opts: (TaskOptions & ActorOptions & RegisterOptions) = {}): unknown {
  if (typeof target !== 'function') throw new TypeError(`remote() takes a function or a class, got ${typeof target}`);
  const { key: givenKey, ...options } = opts;
  const key = givenKey ?? target.name;
  if (!key) throw new TypeError('remote() needs a named function or class, or remote(fn, { key: \'…\' })');
  register(key, target as (...a: unknown[]) => unknown);
  if (isClass(target)) return actorClass({ key, name: target.name || key, methods: methodsOf(target as AnyCtor) }, options);
  return attach(target as AnyFn, remoteFunction(key, target.name || key, options));
}

function actorClass<C extends AnyCtor>(cls: { key: string; name: string; methods: string[] }, opts: ActorOptions): ActorClass<C> {
  return {
    key: cls.key,
    remote: (...args) => {
      const rt = requireRuntime(`${cls.name}.remote()`);
      return boundHandle(rt.createActor(cls, args, { ...opts, ...(opts.placementGroup ? { placementGroup: opts.placementGroup } : {}) })) as ReturnType<ActorClass<C>['remote']>;
    },
    options: (o) => actorClass<C>(cls, { ...opts, ...o }),
  };
}

/** The handle of a named actor; ActorNotFoundError when no live actor has that name. */
export async function getActor<T = any>(name: string, opts: { namespace?: string } = {}): Promise<ActorHandle<T>> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const rt = requireRuntime('getActor()');
  const namespace = opts.namespace ?? rt.identity.namespace;
  const ref = await rt.lookupActor(name, namespace);
  if (!ref) throw new ActorNotFoundError(`no live actor named "${name}" in namespace "${namespace}"`, { actorName: name, namespace });
  return boundHandle(ref) as ActorHandle<T>;
}

/** Ends an actor (its worker process is killed); with noRestart: false it may restart within maxRestarts. */
export async function kill(actor: ActorHandleOf<unknown>, opts: { noRestart?: boolean } = {}): Promise<void> {
  const ref = handleRef(actor);
  if (!ref) throw new TypeError(`kill() takes an actor handle, got ${describe(actor)}`);
  requireRuntime('kill()').killActor(ref.actorId, opts.noRestart ?? true);
}

/**
 * Cancels the task (or queued actor call) that makes `ref`: a queued one is removed; a running one is stopped
 * only with `force` (its worker process is killed). get() then rejects with TaskCancelledError. `recursive`
 * (the default) also cancels the tasks it submitted.
 */
export async function cancel(ref: ObjectRef<unknown>, opts: { force?: boolean; recursive?: boolean } = {}): Promise<void> {
  if (!(ref instanceof ObjectRef)) throw new TypeError(`cancel() takes an ObjectRef, got ${describe(ref)}`);
  requireRuntime('cancel()').cancel(ref.id, opts.force ?? false, opts.recursive ?? true);
}

const STRATEGIES: readonly Strategy[] = ['PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD'];

/** Reserves bundles of resources atomically (PACK by default); ready() resolves once they are reserved. */
export function placementGroup(bundles: readonly ResourceDict[], opts: { strategy?: Strategy; name?: string } = {}): PlacementGroup {
  const rt = requireRuntime('placementGroup()');
  const strategy = opts.strategy ?? 'PACK';
  if (!STRATEGIES.includes(strategy)) throw new TypeError(`placementGroup(): strategy must be one of ${STRATEGIES.join(', ')}, got ${String(strategy)}`);
  if (!Array.isArray(bundles) || bundles.length === 0) throw new TypeError('placementGroup() needs at least one bundle, e.g. [{ CPU: 1 }]');
  bundles.forEach((b, i) => {
    for (const [k, v] of Object.entries(b)) {
      if (typeof v !== 'number' || !(v >= 0)) throw new TypeError(`placementGroup(): bundle ${i} asks for ${k}: ${String(v)}; amounts are non-negative numbers`);
    }
  });
  const id = rt.createPlacementGroup([...bundles], strategy, opts.name);
  return { id, strategy, ready: (o) => rt.placementGroupReady(id, o?.timeoutMs) };
}

/** Frees a placement group's reserved resources. */
export async function removePlacementGroup(pg: PlacementGroup): Promise<void> {
  requireRuntime('removePlacementGroup()').removePlacementGroup(pg.id);
}

/** Asks the autoscaler to keep this much capacity; persistent until the next call (an empty call clears it). */
export async function requestResources(req: { numCpus?: number; bundles?: readonly ResourceDict[] }): Promise<void> {
  const bundles: ResourceDict[] = [...Array.from({ length: Math.max(0, Math.ceil(req.numCpus ?? 0)) }, () => ({ CPU: 1 })), ...(req.bundles ?? [])];
  requireRuntime('requestResources()').requestResources(bundles);
}

function describe(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? (v.constructor?.name ?? 'an object') : typeof v;
}

/** The value(s) of a ref or an array of refs; waits for them, or rejects with the task's error. */
export async function get<const R extends ObjectRef<unknown> | readonly ObjectRef<unknown>[]>(refs: R, opts?: GetOptions): Promise<Resolved<R>> {
  const rt = requireRuntime('get()');
  const list: readonly unknown[] = Array.isArray(refs) ? refs : [refs];
  list.forEach((r, i) => {
    if (!(r instanceof ObjectRef)) throw new TypeError(`get() takes an ObjectRef or an array of ObjectRefs; ${Array.isArray(refs) ? `element ${i} is` : 'got'} ${describe(r)}`);
  });
  const ids = (list as ObjectRef<unknown>[]).map((r) => r.id);
  const timeout = opts?.timeoutMs !== undefined ? { deadline: Date.now() + opts.timeoutMs, ms: opts.timeoutMs } : undefined;
  const values = await rt.blocking(ids, () => Promise.all(ids.map((id) => rt.getOne(id, timeout))));
  return (Array.isArray(refs) ? values : values[0]) as Resolved<R>;
}

/** Stores a value in the cluster; returns at once (the upload is asynchronous). */
export function put<T>(value: T): ObjectRef<T> {
  return requireRuntime('put()').put(value) as ObjectRef<T>;
}

/** Splits refs into ready and pending (both in input order) once `numReturns` are ready or the timeout passes. */
export async function wait<T>(refs: readonly ObjectRef<T>[], opts: { numReturns?: number; timeoutMs?: number; fetchLocal?: boolean } = {}): Promise<[ready: ObjectRef<T>[], pending: ObjectRef<T>[]]> {
  const rt = requireRuntime('wait()');
  const numReturns = opts.numReturns ?? Math.min(1, refs.length);
  if (!Number.isInteger(numReturns) || numReturns < 0 || numReturns > refs.length) {
    throw new RangeError(`wait(): numReturns must be a whole number from 0 to ${refs.length} (the number of refs), got ${numReturns}`);
  }
  refs.forEach((r, i) => {
    if (!(r instanceof ObjectRef)) throw new TypeError(`wait() takes an array of ObjectRefs; element ${i} is ${describe(r)}`);
  });
  const ids = refs.map((r) => r.id);
  const readySet = await rt.blocking(ids, () => rt.wait(ids, numReturns, opts.timeoutMs));
  const ready: ObjectRef<T>[] = [];
  const pending: ObjectRef<T>[] = [];
  for (const r of refs) (readySet.has(r.id) && ready.length < numReturns ? ready : pending).push(r);
  return [ready, pending];
}

/** Connects this process to a cluster as a driver (main() does this for you). */
export async function init(opts?: ConnectOptions): Promise<void> {
  await connectDriver(opts);
}

/** Disconnects the driver. */
export async function shutdown(): Promise<void> {
  const rt = context.runtime;
  if (!rt || context.worker) return;
  context.runtime = undefined;
  context.connecting = undefined;
  context.disconnected = true;
  await rt.close(exitCodeNow());
}

/** Live nodes, plus recently dead ones (alive: false). */
export async function nodes(): Promise<NodeInfo[]> {
  const status = await requireRuntime('nodes()').status();
  return status.nodes.map((n) => ({
    nodeId: n.nodeId, nodeType: n.nodeType, kind: n.kind, address: n.address, alive: n.state !== 'DEAD', state: n.state,
    total: n.total, available: n.available,
  }));
}

function sum(list: readonly NodeInfo[], pick: (n: NodeInfo) => Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const n of list) if (n.alive) for (const [k, v] of Object.entries(pick(n))) out[k] = (out[k] ?? 0) + v;
  return out;
}

/** Total resources of the live nodes. */
export async function clusterResources(): Promise<Record<string, number>> {
  return sum(await nodes(), (n) => n.total);
}

/** Resources free right now on the live nodes. */
export async function availableResources(): Promise<Record<string, number>> {
  return sum(await nodes(), (n) => n.available);
}

/** Who is running this code: the job, the node, and the task when inside one. */
export function getRuntimeContext(): { jobId: string; nodeId: string; taskId?: string; actorId?: string } {
  const rt = requireRuntime('getRuntimeContext()');
  const taskId = rt.currentTaskId;
  return { jobId: rt.identity.jobId, nodeId: rt.identity.nodeId, ...(taskId ? { taskId } : {}), ...(rt.actorId ? { actorId: rt.actorId } : {}) };
}

/** Runs fn only in a driver: connects, runs, disconnects; a rejection prints the (remote) stack and exits 1. */
export function main(fn: (args: string[]) => unknown): void {
  if (context.worker) return;
  // Let the rest of the module (remote() registrations) finish loading first.
  setImmediate(() => {
    closeRegistry();
    void runMain(fn);
  });
}

async function runMain(fn: (args: string[]) => unknown): Promise<void> {
  try {
    await connectDriver();
    await fn(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(describeFailure(e, ownBundleSources()));
    process.exitCode = 1;
  } finally {
    await shutdown().catch(() => undefined);
  }
}
