/**
 * The one way to build an ErrorInfo, the record of a failure that travels with an object in place of its value.
 * Pure: the head, agents and worker processes all make them, and every reader expects the same defaults.
 */
import type { ErrorInfo } from './messages.js';

/** What the caller's `get()` raises for each kind, unless the record names the class (a task's own error does). */
const CLASS_OF_KIND: Readonly<Record<ErrorInfo['kind'], string>> = {
  task: 'Error',
  crashed: 'WorkerCrashedError',
  cancelled: 'TaskCancelledError',
  'job-ended': 'TaskCancelledError',
  lost: 'ObjectLostError',
  serialization: 'SerializationError',
  'actor-died': 'ActorDiedError',
  'name-taken': 'ActorNameTakenError',
  'not-found': 'ActorNotFoundError',
  placement: 'RaylaunchRuntimeError',
};

/** The kind and message, plus whatever else is known; what is not known reads as '' (pid 0). */
export type ErrorFacts = Pick<ErrorInfo, 'kind' | 'message'> & Partial<Omit<ErrorInfo, 'kind' | 'message'>>;

/** The record of one failure. Each fact's meaning is ErrorInfo's (src/protocol/messages.ts). */
export function errorInfo(f: ErrorFacts): ErrorInfo {
  return {
    kind: f.kind, name: f.name ?? CLASS_OF_KIND[f.kind], message: f.message, stack: f.stack ?? '', taskName: f.taskName ?? '',
    nodeId: f.nodeId ?? '', pid: f.pid ?? 0,
    ...known({ actorId: f.actorId, actorName: f.actorName, namespace: f.namespace, objectId: f.objectId, attempts: f.attempts }),
  };
}

/** The entries that are set: a record carries no keys whose value is undefined. */
function known<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
