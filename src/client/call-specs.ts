/**
 * What a call sends: its arguments encoded and the task or actor spec with the API's defaults applied. Pure but
 * for `putLarge`, which stores an argument too large to travel inline.
 */
import { type ResourceDict, requestOf, toFixed } from '../common/resources.js';
import type { ActorCall, ActorSpec, TaskArg, TaskSpec } from '../protocol/messages.js';
import { MAX_LIST_ITEMS } from '../protocol/shapes.js';
import { ObjectRef } from './object-ref.js';
import { encodeValue } from './serialize.js';

export interface TaskCallOptions {
  numCpus?: number; numGpus?: number; memory?: number; resources?: ResourceDict;
  maxRetries?: number; retryExceptions?: boolean;
  placementGroup?: { id: string }; bundleIndex?: number;
}

export interface ActorCreateOptions extends TaskCallOptions {
  name?: string; namespace?: string; lifetime?: 'job' | 'detached';
  maxRestarts?: number; maxTaskRetries?: number; maxConcurrency?: number;
}

/** Who calls: the job, the client that owns the results, and where its named actors live unless told. */
export interface Caller { jobId: string; owner: string; namespace: string }

export interface EncodedArgs { args: TaskArg[]; deps: string[] }

/**
 * Encodes call arguments: top-level refs become dependencies; a value above the inline limit travels once, as an
 * object (`putLarge` stores it and returns its id), and is a dependency too. `what` names the call in errors.
 */
export function encodeArgs(args: readonly unknown[], what: string, inlineLimit: number, putLarge: (bytes: Uint8Array) => string): EncodedArgs {
  if (args.length > MAX_LIST_ITEMS) throw new RangeError(`${what} was called with ${args.length} arguments; a call takes at most ${MAX_LIST_ITEMS} (pass them as one array instead)`);
  const deps: string[] = [];
  const encoded: TaskArg[] = args.map((a, i) => {
    if (a instanceof ObjectRef) {
      deps.push(a.id);
      return { ref: a.id };
    }
    const { bytes } = encodeValue(a, `argument ${i + 1} of ${what}`);
    if (bytes.byteLength <= inlineLimit) return { value: bytes };
    const id = putLarge(bytes);
    deps.push(id);
    return { ref: id };
  });
  return { args: encoded, deps };
}

/** A task: 1 CPU unless told, 3 retries after crashes, none after exceptions. */
export function taskSpec(
  caller: Caller, t: { taskId: string; parent: string | undefined; fn: { key: string; name: string }; call: EncodedArgs }, o: TaskCallOptions,
): TaskSpec {
  return {
    taskId: t.taskId, jobId: caller.jobId, owner: caller.owner, fn: t.fn.key, name: t.fn.name, args: t.call.args, deps: t.call.deps,
    returnId: `${t.taskId}.r`, resources: toFixed(requestOf(o, 1)), maxRetries: o.maxRetries ?? 3, retryExceptions: o.retryExceptions ?? false,
    ...(t.parent ? { parent: t.parent } : {}), ...placementOf(o),
  };
}

/**
 * An actor: it needs 1 CPU free to be placed and holds none for its life, unless `numCpus` is given, which it then
 * both needs and holds.
 */
export function actorSpec(
  caller: Caller, a: { actorId: string; cls: { key: string; name: string; methods: string[] }; call: EncodedArgs }, o: ActorCreateOptions,
): ActorSpec {
  const hold = requestOf({ ...o, numCpus: o.numCpus ?? 0 }, 0);
  const place = o.numCpus === undefined ? { ...hold, CPU: 1 } : hold;
  return {
    actorId: a.actorId, jobId: caller.jobId, owner: caller.owner, cls: a.cls.key, name: a.cls.name, methods: a.cls.methods,
    ctorArgs: a.call.args, deps: a.call.deps, place: toFixed(place), hold: toFixed(hold), maxRestarts: o.maxRestarts ?? 0,
    maxTaskRetries: o.maxTaskRetries ?? 0, maxConcurrency: Math.max(1, o.maxConcurrency ?? 1), namespace: o.namespace ?? caller.namespace,
    lifetime: o.lifetime ?? 'job', ...(o.name !== undefined ? { actorName: o.name } : {}), ...placementOf(o),
  };
}

/** One call of an actor's method; its result is `<callId>.r`. */
export function actorCall(caller: Caller, c: { callId: string; actorId: string; method: string; call: EncodedArgs }): ActorCall {
  return {
    callId: c.callId, actorId: c.actorId, jobId: caller.jobId, owner: caller.owner, method: c.method, args: c.call.args, deps: c.call.deps,
    returnId: `${c.callId}.r`,
  };
}

function placementOf(o: TaskCallOptions): { placement?: { pgId: string; bundleIndex: number } } {
  return o.placementGroup ? { placement: { pgId: o.placementGroup.id, bundleIndex: o.bundleIndex ?? -1 } } : {};
}
