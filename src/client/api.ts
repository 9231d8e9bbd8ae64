
import { connectDriver, type ConnectOptions } from './connect.js';
import { context, requireRuntime } from './context.js';
import { RaylaunchRuntimeError, TaskError } from './errors.js';
import { ObjectRef } from './object-ref.js';
import { closeRegistry, register } from './registry.js';
import type { AnyCtor, AnyFn, ActorClass, ActorOptions, GetOptions, NodeInfo, RegisterOptions, RemoteFunction, Resolved, TaskOptions } from './types.js';

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
  if (isClass(target)) {
    throw new RaylaunchRuntimeError(`remote(class ${target.name}): actors are not available in this version of raylaunch`);
  }
  register(key, target as (...a: unknown[]) => unknown);
  return attach(target as AnyFn, remoteFunction(key, target.name || key, options));
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
  const deadline = opts?.timeoutMs !== undefined ? Date.now() + opts.timeoutMs : undefined;
  const values = await rt.blocking(ids, () => Promise.all(ids.map((id) => rt.getOne(id, deadline))));
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
  await rt.close();
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
  return { jobId: rt.identity.jobId, nodeId: rt.identity.nodeId, ...(rt.currentTaskId ? { taskId: rt.currentTaskId } : {}) };
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
    process.stderr.write(`${describeFailure(e)}\n`);
    process.exitCode = 1;
  } finally {
    await shutdown().catch(() => undefined);
  }
}

function describeFailure(e: unknown): string {
  if (e instanceof TaskError) {
    return `${e.remoteStack || `${e.remoteName}: ${e.message}`}\n    (raised in task ${e.taskName} on node ${e.nodeId}, pid ${e.pid})`;
  }
  return e instanceof Error ? (e.stack ?? `${e.name}: ${e.message}`) : String(e);
}

