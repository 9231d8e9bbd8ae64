import type { ErrorInfo } from '../protocol/messages.js';

/** The base of every error the job API raises. */
export class RaylaunchRuntimeError extends Error {
  override name = 'RaylaunchRuntimeError';
}

/**
 * A task's own code threw: message, name and stack are the remote ones. Its own `stack` is the remote stack (the
 * task's frames in the job's files) and where it was raised, so that printing it shows where it happened.
 */
export class TaskError extends RaylaunchRuntimeError {
  override name = 'TaskError';
  readonly remoteName: string;
  readonly remoteStack: string;
  readonly taskName: string;
  readonly nodeId: string;
  readonly pid: number;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.remoteName = info.name;
    this.remoteStack = info.stack;
    this.taskName = info.taskName;
    this.nodeId = info.nodeId;
    this.pid = info.pid;
    this.stack = `${info.stack || `${info.name}: ${info.message}`}\n    (raised in task ${info.taskName} on node ${info.nodeId}, pid ${info.pid})`;
  }
}

export class ActorDiedError extends RaylaunchRuntimeError { override name = 'ActorDiedError'; }
export class ObjectLostError extends RaylaunchRuntimeError { override name = 'ObjectLostError'; }
export class GetTimeoutError extends RaylaunchRuntimeError { override name = 'GetTimeoutError'; }
export class TaskCancelledError extends RaylaunchRuntimeError { override name = 'TaskCancelledError'; }
/** The task's worker process died every time it was tried (retries exhausted). */
export class WorkerCrashedError extends RaylaunchRuntimeError { override name = 'WorkerCrashedError'; }
/** A value cannot travel: a function, symbol or Proxy, named by argument position and property path. */
export class SerializationError extends RaylaunchRuntimeError { override name = 'SerializationError'; }
export class ActorNotFoundError extends RaylaunchRuntimeError { override name = 'ActorNotFoundError'; }
export class ActorNameTakenError extends RaylaunchRuntimeError { override name = 'ActorNameTakenError'; }

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

/** The error a `get()` of a failed object raises. */
export function errorFromInfo(info: ErrorInfo): RaylaunchRuntimeError {
  switch (info.kind) {
    case 'task': return new TaskError(info);
    case 'crashed': return new WorkerCrashedError(info.message);
    case 'cancelled':
    case 'job-ended': return new TaskCancelledError(info.message);
    case 'lost': return new ObjectLostError(info.message);
    case 'serialization': return new SerializationError(info.message);
    case 'actor-died': return new ActorDiedError(info.message);
    case 'name-taken': return new ActorNameTakenError(info.message);
    case 'not-found': return new ActorNotFoundError(info.message);
    case 'placement': return new RaylaunchRuntimeError(info.message);
  }
}
