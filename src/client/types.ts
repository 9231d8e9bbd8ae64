/**
 * The public types of the job API (docs/api.md): these compile under strict and noUncheckedIndexedAccess,
 * and jobs written against them must keep compiling.
 */
import type { ObjectRef } from './object-ref.js';

/** Resources by name: CPU, GPU, memory (bytes) or any custom resource. */
export type ResourceDict = Readonly<Record<string, number>>;

/** Each argument may be the value or a ref to it; top-level refs are resolved before the call. */
export type RemoteArgs<A extends readonly unknown[]> = { [I in keyof A]: A[I] | ObjectRef<A[I]> };
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFn = (...args: any[]) => unknown;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyCtor = abstract new (...args: any[]) => object;
type Result<F extends AnyFn> = ObjectRef<Awaited<ReturnType<F>>>;

/** How a placement group spreads its bundles over nodes. */
export type Strategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';
/** Reserved capacity: bundles of resources that tasks and actors can run inside. */
export interface PlacementGroup {
  readonly id: string;
  readonly strategy: Strategy;
  ready(opts?: { timeoutMs?: number }): Promise<void>;
}
interface ResourceOptions {
  numCpus?: number; numGpus?: number; memory?: number /* bytes */;
  resources?: ResourceDict; placementGroup?: PlacementGroup; bundleIndex?: number;
}
/** Options of a task call. */
export interface TaskOptions extends ResourceOptions { maxRetries?: number /* 3 */; retryExceptions?: boolean /* false */ }
/** Options of an actor. */
export interface ActorOptions extends ResourceOptions {
  name?: string; namespace?: string; maxRestarts?: number /* 0 */;
  maxTaskRetries?: number /* 0 */; maxConcurrency?: number /* 1 */; lifetime?: 'job' | 'detached';
}
/** Registration key; defaults to the function/class name. Not the named-actor name. */
export interface RegisterOptions { key?: string }

/** A function registered with remote(): call it with .remote(…) to run it as a task. */
export interface RemoteFunction<F extends AnyFn> {
  readonly key: string;
  remote(...args: RemoteArgs<Parameters<F>>): Result<F>;
  options(o: TaskOptions): RemoteFunction<F>;
}
/** A method of an actor, called with .remote(…). */
export interface ActorMethod<F extends AnyFn> { remote(...args: RemoteArgs<Parameters<F>>): Result<F> }
type MethodKeys<I> = { [K in keyof I]-?: I[K] extends AnyFn ? K : never }[keyof I] & string;
declare const actorOf: unique symbol;
/** A handle to an actor whose instance type is I. */
export type ActorHandleOf<I> =
  { readonly [K in MethodKeys<I>]: I[K] extends AnyFn ? ActorMethod<I[K]> : never } & { readonly [actorOf]?: I };
/** A class registered with remote(): .remote(…) starts an actor. */
export interface ActorClass<C extends AnyCtor> {
  readonly key: string;
  remote(...args: RemoteArgs<ConstructorParameters<C>>): ActorHandleOf<InstanceType<C>>;
  options(o: ActorOptions): ActorClass<C>;
}
/** ActorHandle<typeof Counter> (the value remote(class …) returned), an instance type, or any. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type ActorHandle<T> = 0 extends 1 & T ? any
  : T extends ActorClass<infer C> ? ActorHandleOf<InstanceType<C>> : ActorHandleOf<T>;

/** Options of get(). */
export interface GetOptions { timeoutMs?: number }
/** The value(s) a ref or an array/tuple of refs resolves to; `any` stays `any`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Resolved<R> = 0 extends 1 & R ? any
  : R extends ObjectRef<infer V> ? V
  : { -readonly [K in keyof R]: R[K] extends ObjectRef<infer V> ? V : never };

/** A node of the cluster, as nodes() reports it. */
export interface NodeInfo {
  nodeId: string; nodeType: string; kind: 'head' | 'worker'; address: string;
  alive: boolean; state: 'ALIVE' | 'DRAINING' | 'DEAD'; total: ResourceDict; available: ResourceDict;
}
