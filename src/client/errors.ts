import type { ErrorInfo } from '../protocol/messages.js';

/** The base of every error the job API raises. */
export class RaylaunchRuntimeError extends Error {
  override name = 'RaylaunchRuntimeError';
}

/** A task's own code threw: message, name and stack are the remote ones. */
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
