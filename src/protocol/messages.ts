/**
 * Every message between raylaunch processes (CLI, drivers, worker processes, agents, head), as one union on
 * `type`. Bump PROTOCOL_VERSION with any change a peer of the old version would misread.
 */
import type { Fixed, ResourceDict } from '../common/resources.js';

export const PROTOCOL_VERSION = 1;

/** The upgrade-request header carrying the sender's protocol version. */
export const PROTOCOL_HEADER = 'x-raylaunch-protocol';

export type Role = 'agent' | 'driver' | 'cli' | 'worker';

/** Why a remote call failed, as every process reports it. */
export interface ErrorInfo {
  kind: 'task' | 'crashed' | 'cancelled' | 'lost' | 'serialization' | 'job-ended';
  /** The remote error's class name (TaskError: the user's error). */
  name: string;
  message: string;
  stack: string;
  taskName: string;
  nodeId: string;
  pid: number;
}

/** Where an object's bytes are: inline in the message, in a node's object store, or an error in its place. */
export type ObjectValue =
  | { kind: 'inline'; data: Uint8Array }
  | { kind: 'stored'; nodeId: string; size: number }
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

export interface ClusterStatus {
  clusterName: string;
  headAddress: string;
  runtimeVersion: string;
  nodes: NodeView[];
  demands: DemandView[];
  jobs: JobView[];
  tasks: { pending: number; running: number; finished: number; failed: number };
  /** Object bytes the head has passed between processes (it should stay off the data path). */
  relayedBytes: number;
}

export type Message =
  // session
  | { type: 'hello'; role: Role; clientId: string; jobId?: string; nodeId?: string; /** a driver started by hand: its own module, for worker processes to load */ bundle?: Uint8Array; name?: string }
  | { type: 'welcome'; clusterName: string; headNodeId: string; jobId?: string; inlineLimit: number; heartbeatTimeoutMs: number }
  | { type: 'fatal'; message: string }
  // nodes
  | { type: 'node.register'; nodeId: string; nodeType: string; kind: 'head' | 'worker'; address: string; resources: ResourceDict; pid: number }
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
  | { type: 'object.pull'; reqId: number; client: string; id: string; nodeId: string }
  | { type: 'object.data'; reqId: number; client: string; id: string; data: Uint8Array | null }
  // output of tasks, for the driver and the job's log
  | { type: 'log'; jobId: string; source: string; nodeId: string; pid: number; stream: 'stdout' | 'stderr'; text: string }
  // jobs
  | { type: 'job.submit'; reqId: number; name: string; bundle: Uint8Array; args: string[]; env: Record<string, string> }
  | { type: 'job.accepted'; reqId: number; jobId: string }
  | { type: 'job.follow'; jobId: string }
  | { type: 'job.output'; jobId: string; stream: 'stdout' | 'stderr'; text: string }
  | { type: 'job.exit'; jobId: string; state: JobState; exitCode: number | null }
  | { type: 'job.stop'; jobId: string }
  | { type: 'job.bundle.get'; reqId: number; jobId: string }
  | { type: 'job.bundle'; reqId: number; jobId: string; bundle: Uint8Array | null }
  | { type: 'job.ended'; jobId: string }
  // queries
  | { type: 'query'; reqId: number; client: string }
  | { type: 'query.reply'; reqId: number; client: string; status: ClusterStatus };

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>;
