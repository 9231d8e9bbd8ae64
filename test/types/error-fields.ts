// Compile-time check of the error classes' fields (docs/api.md, "Errors"): what each error knows, readonly, and
// constructors that still take what the declared API allows (a message, then ErrorOptions). tsc checks it; it never runs.
import {
  ActorDiedError, ActorNameTakenError, ActorNotFoundError, GetTimeoutError, ObjectLostError, RaylaunchRuntimeError, SerializationError,
  TaskCancelledError, TaskError, WorkerCrashedError,
} from '../../src/client/index.js';

export function fields(e: unknown): unknown[] {
  if (e instanceof TaskError) return [e.remoteName, e.remoteStack, e.taskName, e.nodeId, e.pid satisfies number];
  if (e instanceof ActorDiedError) return [e.actorId satisfies string, e.taskName, e.nodeId];
  if (e instanceof ObjectLostError) return [e.objectId satisfies string, e.nodeId];
  if (e instanceof GetTimeoutError) return [e.timeoutMs satisfies number, e.objectId satisfies string | undefined, e.taskName, e.placementGroupId];
  if (e instanceof TaskCancelledError) return [e.taskName satisfies string];
  if (e instanceof WorkerCrashedError) return [e.taskName, e.attempts satisfies number, e.nodeId, e.pid];
  if (e instanceof SerializationError) return [e.path satisfies string | undefined, e.taskName];
  if (e instanceof ActorNotFoundError) return [e.actorName satisfies string, e.namespace];
  if (e instanceof ActorNameTakenError) return [e.actorName, e.namespace, e.actorId];
  return [];
}

export function readonlyFields(e: ActorDiedError, g: GetTimeoutError): void {
  // @ts-expect-error the data is readonly
  e.actorId = 'other';
  // @ts-expect-error the data is readonly
  g.timeoutMs = 1;
}

export const made: RaylaunchRuntimeError[] = [
  new RaylaunchRuntimeError('m', { cause: new Error('c') }),
  new ActorDiedError('m'), new ObjectLostError(), new TaskError('m', { cause: 1 }), new WorkerCrashedError('m'),
  new GetTimeoutError('m'), new TaskCancelledError('m'), new SerializationError('m'), new ActorNotFoundError('m'), new ActorNameTakenError('m'),
];
