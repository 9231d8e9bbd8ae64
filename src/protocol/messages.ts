/**
 * Every message between raylaunch processes (CLI, drivers, worker processes, agents, head), as one union on
 * `type`. Bump PROTOCOL_VERSION with any change a peer of the old version would misread.
 */
import type { AutoscalerView } from '../common/autoscaler-view.js';
import type { Fixed, ResourceDict } from '../common/resources.js';
import type { ClusterConfig, LiveChange } from '../config/types.js';

export const PROTOCOL_VERSION = 3;

/** The upgrade-request header carrying the sender's protocol version. */
export const PROTOCOL_HEADER = 'x-raylaunch-protocol';

export type Role = 'agent' | 'driver' | 'cli' | 'worker';

/** Why a remote call failed, as every process reports it. */
export interface ErrorInfo {
  kind: 'task' | 'crashed' | 'cancelled' | 'lost' | 'serialization' | 'job-ended' | 'actor-died' | 'name-taken' | 'not-found' | 'placement';
  /** The remote error's class name (TaskError: the user's error). */
  name: string;
  message: string;
  stack: string;
  taskName: string;
  nodeId: string;
  pid: number;
  /** The actor the failure concerns (actor-died, name-taken, a cancelled actor call). */
  actorId?: string;
  /** A named actor's name and namespace (name-taken, not-found). */
  actorName?: string;
  namespace?: string;
  /** The object that was lost (lost). */
  objectId?: string;
  /** How many times the task was tried (crashed). */
  attempts?: number;
}

/** Where an object's bytes are: inline in the message, in a node's object store, or an error in its place. */
export type ObjectValue =
  | { kind: 'inline'; data: Uint8Array }
  | { kind: 'stored'; nodeId: string; size: number; /** host:port of the node's object server */ address: string }
  | { kind: 'error'; error: ErrorInfo };

export type TaskArg = { ref: string } | { value: Uint8Array };

/** A task as submitted: everything a worker needs to run it, and the head to place and retry it. */
export interface TaskSpec {
  taskId: string;
  jobId: string;
  /** The client that submitted it; gets the result pushed. */
  owner: string;
  /** Registration key of the function. */
  fn: string;
  /** Display name (the function's name). */
  name: string;
  /** Each argument encoded on its own; a top-level ref argument is resolved (from `deps`) before the call. */
  args: TaskArg[];
  /** Objects the call waits for (top-level ref arguments). */
  deps: string[];
  returnId: string;
  /** Fixed-point amounts (src/common/resources.ts). */
  resources: Fixed;
  maxRetries: number;
  retryExceptions: boolean;
  /** The task that submitted this one, for recursive cancel. */
  parent?: string;
  /** Run inside a placement group's bundle (bundleIndex -1: any of its bundles). */
  placement?: { pgId: string; bundleIndex: number };
}

/** An actor as created: its class, constructor arguments and options. */
export interface ActorSpec {
  actorId: string;
  jobId: string;
  owner: string;
  /** Registration key of the class, and its display name. */
  cls: string;
  name: string;
  methods: string[];
  ctorArgs: TaskArg[];
  deps: string[];
  /** What a node must have free to take the actor, and what it holds while it lives (fixed point). */
  place: Fixed;
  hold: Fixed;
  maxRestarts: number;
  maxTaskRetries: number;
  maxConcurrency: number;
  /** A named actor: unique among live actors of its namespace. */
  actorName?: string;
  namespace: string;
  lifetime: 'job' | 'detached';
  placement?: { pgId: string; bundleIndex: number };
}

/** One method call on an actor. Calls from one caller run in the order they were made. */
export interface ActorCall {
  callId: string;
  actorId: string;
  jobId: string;
  owner: string;
  method: string;
  args: TaskArg[];
  deps: string[];
  returnId: string;
}

/** What a handle needs: enough to call the actor from any process. */
export interface ActorRef { actorId: string; cls: string; methods: string[] }

export type Strategy = 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD';

export interface PlacementGroupSpec {
  pgId: string;
  jobId: string;
  owner: string;
  name?: string;
  strategy: Strategy;
  bundles: Fixed[];
}

export interface NodeView {
  nodeId: string;
  nodeType: string;
  kind: 'head' | 'worker';
  address: string;
  state: 'ALIVE' | 'DRAINING' | 'DEAD';
  total: ResourceDict;
  available: ResourceDict;
  pid: number;
  lastHeartbeat: number;
}

export interface DemandView {
  resources: ResourceDict;
  count: number;
  infeasible: boolean;
  /** What asks: queued tasks, actors waiting for a node, or the bundles of a placement group waiting to be reserved. */
  source: 'task' | 'actor' | 'placement_group';
  /** For placement groups: their strategy (the autoscaler needs it). */
  strategy?: Strategy;
}

/** A recent failure, for `status`: nothing is lost silently. */
export interface FailureView {
  at: number;
  kind: ErrorInfo['kind'];
  what: string;
  message: string;
  nodeId: string;
}

export interface ActorView {
  actorId: string;
  cls: string;
  name: string | null;
  namespace: string;
  jobId: string;
  state: 'PENDING' | 'ALIVE' | 'RESTARTING' | 'DEAD';
  nodeId: string | null;
  restarts: number;
  /** What it holds for its life, on its node or in its placement-group bundle. */
  resources: ResourceDict;
  placementGroupId: string | null;
}

export interface PlacementGroupView {
  pgId: string;
  name: string | null;
  strategy: Strategy;
  state: 'PENDING' | 'CREATED' | 'RESCHEDULING' | 'INFEASIBLE' | 'REMOVED';
  bundles: { resources: ResourceDict; nodeId: string | null }[];
}

export type JobState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED';

export interface JobView {
  jobId: string;
  name: string;
  state: JobState;
  exitCode: number | null;
  startedAt: number;
  endedAt: number | null;
}

export type { AutoscalerEvent, AutoscalerEventDetail, AutoscalerView } from '../common/autoscaler-view.js';

export interface ClusterStatus {
  clusterName: string;
  headAddress: string;
  runtimeVersion: string;
  nodes: NodeView[];
  demands: DemandView[];
  jobs: JobView[];
  tasks: { pending: number; running: number; finished: number; failed: number };
  actors: ActorView[];
  placementGroups: PlacementGroupView[];
  /** What request_resources() last asked for (the autoscaler keeps that much capacity). */
  requestedResources: ResourceDict[];
  failures: FailureView[];
  autoscaler: AutoscalerView | null;
  /** Object bytes the head has passed between processes (it should stay off the data path). */
  relayedBytes: number;
}

export type Message =
  // session
  | { type: 'hello'; role: Role; clientId: string; jobId?: string; nodeId?: string; /** a driver started by hand: its own module, for worker processes to load */ bundle?: Uint8Array; name?: string; namespace?: string }
  | { type: 'welcome'; clusterName: string; headNodeId: string; jobId?: string; namespace?: string; inlineLimit: number; heartbeatTimeoutMs: number }
  | { type: 'fatal'; message: string }
  // nodes
  | { type: 'node.register'; nodeId: string; nodeType: string; kind: 'head' | 'worker'; address: string; objectAddress: string; resources: ResourceDict; pid: number }
  | { type: 'heartbeat'; nodeId: string }
  // tasks
  | { type: 'submit'; task: TaskSpec }
  | { type: 'task.run'; task: TaskSpec; attempt: number; deps: Record<string, ObjectValue> }
  | { type: 'task.done'; taskId: string; attempt: number; value: ObjectValue; pid: number }
  | { type: 'task.crashed'; taskId: string; attempt: number; pid: number; reason: string }
  | { type: 'task.blocked'; taskId: string }
  | { type: 'task.unblocked'; taskId: string }
  | { type: 'warning'; client: string; message: string }
  // objects
  | { type: 'put'; id: string; owner: string; jobId: string; value: ObjectValue }
  | { type: 'fetch'; client: string; ids: string[] }
  | { type: 'object'; client: string; id: string; value: ObjectValue }
  | { type: 'object.pull'; reqId: number; client: string; id: string; nodeId: string; address: string; /** the stored size, when known: the fetch asks for every chunk at once instead of one round trip later */ size?: number }
  | { type: 'object.data'; reqId: number; client: string; id: string; data: Uint8Array | null; /** large data handed to a local worker process as a file in shared memory (it deletes it) */ file?: string }
  // output of tasks, for the driver and the job's log
  | { type: 'log'; jobId: string; source: string; nodeId: string; pid: number; stream: 'stdout' | 'stderr'; text: string }
  // jobs
  | { type: 'job.submit'; reqId: number; name: string; bundle: Uint8Array; args: string[]; env: Record<string, string>; /** a packed folder (src/common/pack.ts): the working directory of the driver and its worker processes */ workingDir?: Uint8Array }
  | { type: 'job.accepted'; reqId: number; jobId: string }
  | { type: 'job.follow'; jobId: string; /** false: the output so far, then job.snapshot.end */ follow?: boolean }
  | { type: 'job.snapshot.end'; jobId: string; state: JobState }
  | { type: 'job.missing'; jobId: string }
  | { type: 'job.output'; jobId: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'job.exit'; jobId: string; state: JobState; exitCode: number | null }
  | { type: 'job.stop'; jobId: string }
  | { type: 'job.bundle.get'; reqId: number; jobId: string }
  | { type: 'job.bundle'; reqId: number; jobId: string; bundle: Uint8Array | null; namespace: string; env: Record<string, string>; workingDir?: Uint8Array }
  | { type: 'job.ended'; jobId: string }
  // actors
  | { type: 'actor.create'; actor: ActorSpec }
  | { type: 'actor.start'; actor: ActorSpec; attempt: number; deps: Record<string, ObjectValue> }
  | { type: 'actor.ready'; actorId: string; attempt: number }
  | { type: 'actor.failed'; actorId: string; attempt: number; error: ErrorInfo }
  | { type: 'actor.died'; actorId: string; attempt: number; reason: string }
  | { type: 'actor.call'; call: ActorCall }
  | { type: 'actor.run'; call: ActorCall; attempt: number; deps: Record<string, ObjectValue> }
  | { type: 'actor.done'; callId: string; actorId: string; attempt: number; value: ObjectValue }
  /** jobId: the job that asks (a kill by the actor's own job is not a failure). */
  | { type: 'actor.kill'; actorId: string; noRestart: boolean; jobId: string }
  | { type: 'actor.stop'; actorId: string }
  | { type: 'actor.lookup'; reqId: number; client: string; name: string; namespace: string }
  | { type: 'actor.found'; reqId: number; client: string; actor: ActorRef | null }
  // cancel
  | { type: 'cancel'; id: string; force: boolean; recursive: boolean }
  | { type: 'task.cancel'; taskId: string }
  // placement groups and requested capacity
  | { type: 'pg.create'; pg: PlacementGroupSpec }
  | { type: 'pg.remove'; pgId: string; jobId: string }
  | { type: 'pg.state'; client: string; pgId: string; state: PlacementGroupView['state']; message?: string }
  | { type: 'resources.request'; jobId: string; bundles: ResourceDict[] }
  // queries
  | { type: 'query'; reqId: number; client: string }
  | { type: 'query.reply'; reqId: number; client: string; status: ClusterStatus }
  /** `down --workers-only`: the head's autoscaler drains and terminates workers (keeping min_workers if asked). */
  | { type: 'workers.down'; reqId: number; client: string; keepMinWorkers: boolean }
  | { type: 'workers.down.reply'; reqId: number; client: string; terminated: string[]; error?: string }
  /** `up` with a config whose only changes are settings the running head takes live (config/changes.ts). */
  | { type: 'config.update'; reqId: number; client: string; config: ClusterConfig }
  | { type: 'config.updated'; reqId: number; client: string; applied: LiveChange[]; error?: string };

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>;
