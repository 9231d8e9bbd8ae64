import type { ErrorInfo } from '../protocol/messages.js';

/** The base of every error the job API raises. */
export class RaylaunchRuntimeError extends Error {
  override name = 'RaylaunchRuntimeError';
}

/*
 * Each error carries what raylaunch knows of the failure as readonly fields. The data comes in the options, after
 * the message, and every field may be left out, so that `new ActorDiedError(message)` and
 * `new X(message, { cause })`, which the declared API allows, still compile. What is not known reads as '' (or 0),
 * as in the failure records these errors are made from, except for the fields that apply to only some cases of an
 * error (GetTimeoutError's, SerializationError's): those are undefined where they do not apply.
 */

/** What a TaskError knows of the remote failure. */
export interface TaskErrorData { remoteName: string; remoteStack: string; taskName: string; nodeId: string; pid: number }

/**
 * A task's own code threw: message, name and stack are the remote ones. Its own `stack` is the remote stack (the
 * task's frames in the job's files) and where it was raised, so that printing it shows where it happened.
 */
export class TaskError extends RaylaunchRuntimeError {
  override name = 'TaskError';
  /** The remote error's class name (`'RangeError'`, …). */
  readonly remoteName: string;
  /** The remote stack, in the job's files. */
  readonly remoteStack: string;
  /** The function (`square`) or actor method (`Counter.incr`) that threw. */
  readonly taskName: string;
  /** Where it ran. */
  readonly nodeId: string;
  readonly pid: number;
  constructor(message?: string, o: ErrorOptions & Partial<TaskErrorData> = {}) {
    super(message, o);
    this.remoteName = o.remoteName ?? '';
    this.remoteStack = o.remoteStack ?? '';
    this.taskName = o.taskName ?? '';
    this.nodeId = o.nodeId ?? '';
    this.pid = o.pid ?? 0;
    if (o.remoteName !== undefined) {
      this.stack = `${this.remoteStack || `${this.remoteName}: ${this.message}`}\n    (raised in task ${this.taskName} on node ${this.nodeId}, pid ${this.pid})`;
    }
  }
}

/** What an ActorDiedError knows. */
export interface ActorDiedData { actorId: string; taskName: string; nodeId: string }

/** The actor died before the call finished (killed, crashed past maxRestarts, failed in its constructor). */
export class ActorDiedError extends RaylaunchRuntimeError {
  override name = 'ActorDiedError';
  /** The actor that died. */
  readonly actorId: string;
  /** The call that failed (`Counter.incr`). */
  readonly taskName: string;
  /** The node it was on ('' if it was never placed). */
  readonly nodeId: string;
  constructor(message?: string, o: ErrorOptions & Partial<ActorDiedData> = {}) {
    super(message, o);
    this.actorId = o.actorId ?? '';
    this.taskName = o.taskName ?? '';
    this.nodeId = o.nodeId ?? '';
  }
}

/** What an ObjectLostError knows. */
export interface ObjectLostData { objectId: string; nodeId: string }

/** The only node that held the object is gone. */
export class ObjectLostError extends RaylaunchRuntimeError {
  override name = 'ObjectLostError';
  /** The object that was lost. */
  readonly objectId: string;
  /** The node that held it. */
  readonly nodeId: string;
  constructor(message?: string, o: ErrorOptions & Partial<ObjectLostData> = {}) {
    super(message, o);
    this.objectId = o.objectId ?? '';
    this.nodeId = o.nodeId ?? '';
  }
}

/** What a GetTimeoutError knows: how long it waited, and for what. */
export interface GetTimeoutData { timeoutMs: number; objectId: string | undefined; taskName: string | undefined; placementGroupId: string | undefined }

/** get() (or a placement group's ready()) passed its timeoutMs. */
export class GetTimeoutError extends RaylaunchRuntimeError {
  override name = 'GetTimeoutError';
  /** How long it waited. */
  readonly timeoutMs: number;
  /** get(): the object it waited for. */
  readonly objectId: string | undefined;
  /** get(): the task or actor method (`Counter.incr`) that makes the object, when this process called it. */
  readonly taskName: string | undefined;
  /** ready(): the placement group it waited for. */
  readonly placementGroupId: string | undefined;
  constructor(message?: string, o: ErrorOptions & Partial<GetTimeoutData> = {}) {
    super(message, o);
    this.timeoutMs = o.timeoutMs ?? 0;
    this.objectId = o.objectId;
    this.taskName = o.taskName;
    this.placementGroupId = o.placementGroupId;
  }
}

/** What a TaskCancelledError knows. */
export interface TaskCancelledData { taskName: string }

/** The task was cancelled: by cancel(), by removing its placement group, or because its job ended. */
export class TaskCancelledError extends RaylaunchRuntimeError {
  override name = 'TaskCancelledError';
  /** The task (`slow`) or actor method (`Counter.incr`) that was cancelled. */
  readonly taskName: string;
  constructor(message?: string, o: ErrorOptions & Partial<TaskCancelledData> = {}) {
    super(message, o);
    this.taskName = o.taskName ?? '';
  }
}

/** What a WorkerCrashedError knows. */
export interface WorkerCrashedData { taskName: string; attempts: number; nodeId: string; pid: number }

/** The task's worker process died every time it was tried (retries exhausted). */
export class WorkerCrashedError extends RaylaunchRuntimeError {
  override name = 'WorkerCrashedError';
  /** The task. */
  readonly taskName: string;
  /** How many times it was tried (maxRetries + 1). */
  readonly attempts: number;
  /** Where its last try ran. */
  readonly nodeId: string;
  readonly pid: number;
  constructor(message?: string, o: ErrorOptions & Partial<WorkerCrashedData> = {}) {
    super(message, o);
    this.taskName = o.taskName ?? '';
    this.attempts = o.attempts ?? 0;
    this.nodeId = o.nodeId ?? '';
    this.pid = o.pid ?? 0;
  }
}

/** What a SerializationError knows: where the value was, or which task's result it was. */
export interface SerializationData { path: string | undefined; taskName: string | undefined }

/** A value cannot travel: a function, symbol or Proxy, named by argument position and property path. */
export class SerializationError extends RaylaunchRuntimeError {
  override name = 'SerializationError';
  /** Thrown here: the value's place (`argument 1 of echo().onDone`). */
  readonly path: string | undefined;
  /** Raised by get(): the task whose result could not travel. */
  readonly taskName: string | undefined;
  constructor(message?: string, o: ErrorOptions & Partial<SerializationData> = {}) {
    super(message, o);
    this.path = o.path;
    this.taskName = o.taskName;
  }
}

/** What the named-actor errors know. */
export interface ActorNameData { actorName: string; namespace: string }

/** getActor() found no live actor by that name in that namespace. */
export class ActorNotFoundError extends RaylaunchRuntimeError {
  override name = 'ActorNotFoundError';
  /** The name looked up. */
  readonly actorName: string;
  /** The namespace it was looked up in. */
  readonly namespace: string;
  constructor(message?: string, o: ErrorOptions & Partial<ActorNameData> = {}) {
    super(message, o);
    this.actorName = o.actorName ?? '';
    this.namespace = o.namespace ?? '';
  }
}

/** A live actor in the namespace already has the name: the new actor is not created, and its calls fail with this. */
export class ActorNameTakenError extends RaylaunchRuntimeError {
  override name = 'ActorNameTakenError';
  /** The name asked for. */
  readonly actorName: string;
  /** Its namespace. */
  readonly namespace: string;
  /** The actor that was not created. */
  readonly actorId: string;
  constructor(message?: string, o: ErrorOptions & Partial<ActorNameData & { actorId: string }> = {}) {
    super(message, o);
    this.actorName = o.actorName ?? '';
    this.namespace = o.namespace ?? '';
    this.actorId = o.actorId ?? '';
  }
}

/**
 * The driver lost its connection to the head and no head took it back within raylaunch.head_reconnect_timeout_s
 * (or the head that came back no longer runs its job): pending get()s and wait()s end with it, and so does every
 * later call.
 */
export class HeadUnavailableError extends RaylaunchRuntimeError {
  override name = 'HeadUnavailableError';
  /** How long the driver waited for a head, in seconds (0: the head refused it at once). */
  readonly waitedS: number;
  constructor(message?: string, o: ErrorOptions & { waitedS?: number } = {}) {
    super(message, o);
    this.waitedS = o.waitedS ?? 0;
  }
}

/**
 * A call made while the driver has no head (it waits in the driver until one is back) found the driver's buffer of
 * such calls full: the call is not made. Wait for the calls already made (a get() resolves once the head is
 * back), or make fewer calls at once.
 */
export class OutageBufferFullError extends RaylaunchRuntimeError {
  override name = 'OutageBufferFullError';
  /** How many calls the buffer holds. */
  readonly limit: number;
  constructor(message?: string, o: ErrorOptions & { limit?: number } = {}) {
    super(message, o);
    this.limit = o.limit ?? 0;
  }
}

/** Where the job API was used where only a driver's main() may use it. */
export type OutsideMainPlace = 'top-level' | 'worker-load' | 'connecting' | 'disconnected';

const OUTSIDE_MAIN: Record<OutsideMainPlace, string> = {
  'top-level': "at the module's top level",
  'worker-load': "at the module's top level, which every worker process runs again when it loads the job",
  connecting: 'before the driver had connected to the cluster',
  disconnected: 'after the driver had disconnected (main() had returned)',
};

/** How to fix it, in the API's words; the driver prints it under the error. */
export const OUTSIDE_MAIN_HINT = "put driver code in main(async () => { … }): it runs only in the driver, once the module's remote() registrations are done";

/**
 * The job API was called outside a driver's main(): at the module's top level, typically, as a Ray driver script
 * would. Not exported: the driver process (and main()) print it as one line naming the user's file and line.
 */
export class DriverCodeOutsideMainError extends RaylaunchRuntimeError {
  override name = 'DriverCodeOutsideMainError';
  constructor(readonly call: string, readonly place: OutsideMainPlace) {
    super(`${call} was called ${OUTSIDE_MAIN[place]}; driver code belongs inside main()`);
  }
}

/** The error a `get()` of a failed object raises, with the record's facts as its fields. */
export function errorFromInfo(info: ErrorInfo): RaylaunchRuntimeError {
  const { message, taskName, nodeId, pid } = info;
  switch (info.kind) {
    case 'task': return new TaskError(message, { remoteName: info.name, remoteStack: info.stack, taskName, nodeId, pid });
    case 'crashed': return new WorkerCrashedError(message, { taskName, attempts: info.attempts, nodeId, pid });
    case 'cancelled':
    case 'job-ended': return new TaskCancelledError(message, { taskName });
    case 'lost': return new ObjectLostError(message, { objectId: info.objectId, nodeId });
    case 'serialization': return new SerializationError(message, { taskName });
    case 'actor-died': return new ActorDiedError(message, { actorId: info.actorId, taskName, nodeId });
    case 'name-taken': return new ActorNameTakenError(message, { actorName: info.actorName, namespace: info.namespace, actorId: info.actorId });
    case 'not-found': return new ActorNotFoundError(message, { actorName: info.actorName, namespace: info.namespace });
    case 'placement': return new RaylaunchRuntimeError(message);
  }
}
