/**
 * Every message between raylaunch processes (CLI, drivers, worker processes, agents, head), as one union on
 * `type`. Each type's fields are a schema (MESSAGES): the union is derived from them, and check.ts checks every
 * received message against its type's, so the code and the check cannot disagree. Bump PROTOCOL_VERSION with any
 * change a peer of the old version would misread.
 */
import { type TProperties, Type } from '@sinclair/typebox';
import {
  ActorCallShape, ActorRefShape, ActorSpecShape, ClusterConfigShape, ClusterStatusShape, Count, Dict, ErrorInfoShape, HeldObjectShape, JobStateShape,
  List, LiveChangeShape, ObjectValueShape, OneOf, PlacementGroupSpecShape, PlacementGroupStateShape, ResourceDictShape, ResumedActorShape, ResumedTaskShape,
  RoleShape, TaskSpecShape,
} from './shapes.js';
import type { UnionOf } from './union.js';

export const PROTOCOL_VERSION = 8;

/** The upgrade-request header carrying the sender's protocol version. */
export const PROTOCOL_HEADER = 'x-raylaunch-protocol';

const Str = Type.String();
const Opt = Type.Optional;
const Stream = OneOf('stdout', 'stderr');
const Bytes = Type.Uint8Array();
const Deps = Dict(ObjectValueShape);
const Env = Dict(Str);

/** The fields of each message type, by type (`type` itself is added by Message). */
export const MESSAGES = {
  // session
  hello: {
    role: RoleShape, clientId: Str, jobId: Opt(Str), nodeId: Opt(Str),
    /** a driver started by hand: its own module, for worker processes to load */
    bundle: Opt(Bytes), name: Opt(Str), namespace: Opt(Str),
  },
  welcome: {
    clusterName: Str, headNodeId: Str, jobId: Opt(Str), namespace: Opt(Str), inlineLimit: Count, heartbeatTimeoutMs: Type.Number({ exclusiveMinimum: 0 }),
    /** to an agent or a driver: what admits it to every node's object server (held in memory, never passed on) */
    objectCredential: Opt(Str),
    /** to a driver: how long it waits for this head (or the next one) when its connection drops, in seconds */
    reconnectTimeoutS: Opt(Type.Number({ exclusiveMinimum: 0 })),
  },
  /**
   * From a driver back after its connection dropped: which of these ids (its unfinished tasks, actor calls and
   * puts) the head still has. The head answers once the nodes it knew have had time to come back and re-report.
   */
  'resume.ask': { reqId: Count, client: Str, ids: List(Str) },
  /** The ids of a resume.ask the head has; the driver submits the others again (with the same ids) or fails them. */
  'resume.known': { reqId: Count, client: Str, ids: List(Str) },
  fatal: { message: Str },
  /**
   * From a driver that ends (main() returned or threw, shutdown(), process.exit): the job of a driver started by hand
   * ends now, by this exit code. A driver whose connection goes without it may be coming back (jobs/hand-driver.ts).
   */
  'driver.exit': { exitCode: Type.Integer() },
  // nodes
  'node.register': {
    nodeId: Str, nodeType: Str, kind: OneOf('head', 'worker'), address: Str, objectAddress: Str, resources: ResourceDictShape, pid: Count,
  },
  heartbeat: { nodeId: Str },
  /** From an agent: its node goes soon whatever the autoscaler decides (a spot interruption notice); the head drains it now. */
  'node.draining': { nodeId: Str, reason: Str },
  /** To agents: the object servers of registered nodes, by node id (the only addresses an agent fetches from); merged into what it knows. */
  'node.objects': { addresses: Dict(Str) },
  /**
   * From an agent right after it registered again on a new connection (the head restarted, or the link broke):
   * the work it still runs, as the head sent it, and the objects its store holds, for the head to rebuild its
   * records from. What it produced while the head was away follows this message.
   */
  'node.resume': { nodeId: Str, tasks: List(ResumedTaskShape), actors: List(ResumedActorShape), objects: List(HeldObjectShape) },
  // tasks
  submit: { task: TaskSpecShape },
  'task.run': { task: TaskSpecShape, attempt: Count, deps: Deps },
  'task.done': { taskId: Str, attempt: Count, value: ObjectValueShape, pid: Count },
  'task.crashed': { taskId: Str, attempt: Count, pid: Count, reason: Str },
  'task.blocked': { taskId: Str },
  'task.unblocked': { taskId: Str },
  warning: { client: Str, message: Str },
  // objects
  put: { id: Str, owner: Str, jobId: Str, value: ObjectValueShape },
  fetch: { client: Str, ids: List(Str) },
  object: { client: Str, id: Str, value: ObjectValueShape },
  /** An object of the node `nodeId`: its agent (or the head) finds the node's object server by that id, never by an address the asker names. */
  'object.pull': {
    reqId: Count, client: Str, id: Str, nodeId: Str,
    /** the stored size, when known: the fetch asks for every chunk at once instead of one round trip later */
    size: Opt(Count),
  },
  /** To the head node's agent: keep this object (a driver's put too large to travel inline); it answers object.stored. */
  'object.store': { id: Str, jobId: Str, data: Bytes },
  /** The head node's agent holds the object now: only then does the head say where it is. */
  'object.stored': { id: Str, jobId: Str, size: Count },
  'object.data': {
    reqId: Count, client: Str, id: Str, data: Type.Union([Bytes, Type.Null()]),
    /** large data handed to a local worker process as a file in shared memory (it deletes it) */
    file: Opt(Str),
  },
  // output of tasks, for the driver and the job's log
  log: { jobId: Str, source: Str, nodeId: Str, pid: Count, stream: Stream, text: Str },
  // jobs
  'job.submit': {
    reqId: Count, name: Str, bundle: Bytes, args: List(Str), env: Env,
    /** a packed folder (src/common/pack.ts): the working directory of the driver and its worker processes */
    workingDir: Opt(Bytes),
  },
  'job.accepted': { reqId: Count, jobId: Str },
  /** The head would not start the job (its request cannot run: a path outside its working directory, a NUL byte). */
  'job.refused': { reqId: Count, message: Str },
  'job.follow': {
    jobId: Str,
    /** false: the output so far, then job.snapshot.end */
    follow: Opt(Type.Boolean()),
    /** characters of the job's output the follower has already (a follower back after its connection dropped) */
    from: Opt(Count),
  },
  'job.snapshot.end': { jobId: Str, state: JobStateShape },
  'job.missing': { jobId: Str },
  'job.output': {
    jobId: Str, stream: Stream, text: Str,
    /** where the text starts in the job's output, in characters; none on a note of the head's, which is no output */
    at: Opt(Count),
  },
  'job.exit': { jobId: Str, state: JobStateShape, exitCode: Type.Union([Type.Integer(), Type.Null()]) },
  'job.stop': { jobId: Str },
  'job.bundle.get': { reqId: Count, jobId: Str },
  'job.bundle': { reqId: Count, jobId: Str, bundle: Type.Union([Bytes, Type.Null()]), namespace: Str, env: Env, workingDir: Opt(Bytes) },
  'job.ended': { jobId: Str },
  // actors
  'actor.create': { actor: ActorSpecShape },
  'actor.start': { actor: ActorSpecShape, attempt: Count, deps: Deps },
  'actor.ready': { actorId: Str, attempt: Count },
  'actor.failed': { actorId: Str, attempt: Count, error: ErrorInfoShape },
  'actor.died': { actorId: Str, attempt: Count, reason: Str },
  'actor.call': { call: ActorCallShape },
  'actor.run': { call: ActorCallShape, attempt: Count, deps: Deps },
  'actor.done': { callId: Str, actorId: Str, attempt: Count, value: ObjectValueShape },
  /** jobId: the job that asks (a kill by the actor's own job is not a failure). */
  'actor.kill': { actorId: Str, noRestart: Type.Boolean(), jobId: Str },
  'actor.stop': { actorId: Str },
  'actor.lookup': { reqId: Count, client: Str, name: Str, namespace: Str },
  'actor.found': { reqId: Count, client: Str, actor: Type.Union([ActorRefShape, Type.Null()]) },
  // cancel
  /** jobId: the job that asks (it may cancel only its own work). */
  cancel: { id: Str, force: Type.Boolean(), recursive: Type.Boolean(), jobId: Str },
  'task.cancel': { taskId: Str },
  // placement groups and requested capacity
  'pg.create': { pg: PlacementGroupSpecShape },
  'pg.remove': { pgId: Str, jobId: Str },
  'pg.state': { client: Str, pgId: Str, state: PlacementGroupStateShape, message: Opt(Str) },
  'resources.request': { jobId: Str, bundles: List(ResourceDictShape) },
  // queries
  query: { reqId: Count, client: Str },
  'query.reply': { reqId: Count, client: Str, status: ClusterStatusShape },
  /** `down --workers-only`: the head's autoscaler drains and terminates workers (keeping min_workers if asked). */
  'workers.down': { reqId: Count, client: Str, keepMinWorkers: Type.Boolean() },
  'workers.down.reply': { reqId: Count, client: Str, terminated: Type.Array(Str), error: Opt(Str) },
  /** `up` with a config whose only changes are settings the running head takes live (config/changes.ts). */
  'config.update': { reqId: Count, client: Str, config: ClusterConfigShape },
  'config.updated': { reqId: Count, client: Str, applied: Type.Array(LiveChangeShape), error: Opt(Str) },
} satisfies Record<string, TProperties>;

export type Message = UnionOf<typeof MESSAGES>;

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>;

export type {
  ActorCall, ActorRef, ActorSpec, ActorView, ClusterStatus, DemandView, ErrorInfo, FailureView, JobState, JobView, NodeView, ObjectValue,
  PlacementGroupSpec, PlacementGroupView, ResumedActor, ResumedTask, Role, Strategy, TaskArg, TaskSpec,
} from './shapes.js';
export type { AutoscalerEvent, AutoscalerEventDetail, AutoscalerView } from '../common/autoscaler-view.js';
