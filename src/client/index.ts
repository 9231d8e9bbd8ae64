// The package root is the job API (docs/api.md documents every export) and nothing else: every worker process
// imports it, so it must stay free of CLI, SDK and schema code.
export {
  availableResources, cancel, clusterResources, get, getActor, getRuntimeContext, init, kill, main, nodes, placementGroup, put, remote,
  removePlacementGroup, requestResources, shutdown, wait,
} from './api.js';
export {
  ActorDiedError, ActorNameTakenError, ActorNotFoundError, GetTimeoutError, HeadUnavailableError, ObjectLostError, OutageBufferFullError,
  RaylaunchRuntimeError, SerializationError, TaskCancelledError, TaskError, WorkerCrashedError,
} from './errors.js';
export { ObjectRef } from './object-ref.js';
export type {
  ActorClass, ActorHandle, ActorHandleOf, ActorMethod, ActorOptions, GetOptions, NodeInfo, PlacementGroup, RegisterOptions,
  RemoteArgs, RemoteFunction, ResourceDict, Resolved, Strategy, TaskOptions,
} from './types.js';
