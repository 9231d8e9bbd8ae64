/**
 * The records messages carry, as schemas: each type below is derived from its schema (`Static`), so what the code
 * reads and what a peer's message is checked against (check.ts) are one definition. Pure.
 */
import { type Static, type TLiteral, type TSchema, type TUnion, type TUnsafe, Type } from '@sinclair/typebox';
import type { AutoscalerView } from '../common/autoscaler-view.js';
import type { Fixed, ResourceDict } from '../common/resources.js';
import type { ClusterConfig, LiveChange } from '../config/types.js';

/**
 * A schema for a type defined outside the protocol (src/common, the config): it reads as that type, and the compiler
 * refuses it unless the schema's own type and that type are assignable both ways, so the two cannot drift apart.
 */
export function matching<T>() {
  return <S extends TSchema>(schema: S & ([Static<S>] extends [T] ? ([T] extends [Static<S>] ? unknown : never) : never)): TUnsafe<T> =>
    schema as unknown as TUnsafe<T>;
}

// Type.Record(Type.String(), …) checks only keys that match /^.*$/, so a key with a line break would go unchecked.
const AnyKey = Type.String({ pattern: '^[\\s\\S]*$' });
/** An object used as a map from any string. */
export const Dict = <T extends TSchema>(value: T) => Type.Record(AnyKey, value);

/**
 * The most items any list in a message may hold (ids to fetch, arguments, dependencies, methods, bundles). A list is
 * what a small request multiplies into a large reply or a long loop, so a longer one is refused with its message
 * (the client splits a long fetch into several).
 */
export const MAX_LIST_ITEMS = 100_000;
/** A list of at most MAX_LIST_ITEMS items. */
export const List = <T extends TSchema>(item: T) => Type.Array(item, { maxItems: MAX_LIST_ITEMS });

/** A count, id, size or index: a whole number, never negative, exact as a double. */
export const Count = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const Str = Type.String();
const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
/** One of these strings. */
export const OneOf = <const T extends readonly [string, ...string[]]>(...values: T) =>
  Type.Union(values.map((v) => Type.Literal(v))) as unknown as TUnion<{ -readonly [K in keyof T]: TLiteral<T[K]> }>;

export const ResourceDictShape = matching<ResourceDict>()(Dict(Type.Number()));
/** Fixed-point amounts (src/common/resources.ts). */
export const FixedShape = matching<Fixed>()(Dict(Type.Number()));

export const RoleShape = OneOf('agent', 'driver', 'cli', 'worker');

export const ErrorKindShape = OneOf('task', 'crashed', 'cancelled', 'lost', 'serialization', 'job-ended', 'actor-died', 'name-taken', 'not-found', 'placement');

/** Why a remote call failed, as every process reports it. */
export const ErrorInfoShape = Type.Object({
  kind: ErrorKindShape,
  /** The remote error's class name (TaskError: the user's error). */
  name: Str,
  message: Str,
  stack: Str,
  taskName: Str,
  nodeId: Str,
  pid: Count,
  /** The actor the failure concerns (actor-died, name-taken, a cancelled actor call). */
  actorId: Type.Optional(Str),
  /** A named actor's name and namespace (name-taken, not-found). */
  actorName: Type.Optional(Str),
  namespace: Type.Optional(Str),
  /** The object that was lost (lost). */
  objectId: Type.Optional(Str),
  /** How many times the task was tried (crashed). */
  attempts: Type.Optional(Count),
});

/** Where an object's bytes are: inline in the message, in a node's object store, or an error in its place. */
export const ObjectValueShape = Type.Union([
  Type.Object({ kind: Type.Literal('inline'), data: Type.Uint8Array() }),
  Type.Object({ kind: Type.Literal('stored'), nodeId: Str, size: Count, /** host:port of the node's object server */ address: Str }),
  Type.Object({ kind: Type.Literal('error'), error: ErrorInfoShape }),
]);

export const TaskArgShape = Type.Union([Type.Object({ ref: Str }), Type.Object({ value: Type.Uint8Array() })]);

/** Where in a placement group work runs (bundleIndex -1: any of its bundles). */
const PlacementShape = Type.Object({ pgId: Str, bundleIndex: Type.Integer({ minimum: -1 }) });

/** A task as submitted: everything a worker needs to run it, and the head to place and retry it. */
export const TaskSpecShape = Type.Object({
  taskId: Str,
  jobId: Str,
  /** The client that submitted it; gets the result pushed. */
  owner: Str,
  /** Registration key of the function. */
  fn: Str,
  /** Display name (the function's name). */
  name: Str,
  /** Each argument encoded on its own; a top-level ref argument is resolved (from `deps`) before the call. */
  args: List(TaskArgShape),
  /** Objects the call waits for (top-level ref arguments). */
  deps: List(Str),
  returnId: Str,
  /** Fixed-point amounts (src/common/resources.ts). */
  resources: FixedShape,
  maxRetries: Type.Number(),
  retryExceptions: Type.Boolean(),
  /** The task that submitted this one, for recursive cancel. */
  parent: Type.Optional(Str),
  /** Run inside a placement group's bundle (bundleIndex -1: any of its bundles). */
  placement: Type.Optional(PlacementShape),
});

/** An actor as created: its class, constructor arguments and options. */
export const ActorSpecShape = Type.Object({
  actorId: Str,
  jobId: Str,
  owner: Str,
  /** Registration key of the class, and its display name. */
  cls: Str,
  name: Str,
  methods: List(Str),
  ctorArgs: List(TaskArgShape),
  deps: List(Str),
  /** What a node must have free to take the actor, and what it holds while it lives (fixed point). */
  place: FixedShape,
  hold: FixedShape,
  maxRestarts: Type.Number(),
  maxTaskRetries: Type.Number(),
  maxConcurrency: Type.Integer({ minimum: 1 }),
  /** A named actor: unique among live actors of its namespace. */
  actorName: Type.Optional(Str),
  namespace: Str,
  lifetime: OneOf('job', 'detached'),
  placement: Type.Optional(PlacementShape),
});

/** One method call on an actor. Calls from one caller run in the order they were made. */
export const ActorCallShape = Type.Object({
  callId: Str,
  actorId: Str,
  jobId: Str,
  owner: Str,
  method: Str,
  args: List(TaskArgShape),
  deps: List(Str),
  returnId: Str,
});

/** A task an agent still runs, as the head sent it (task.run): enough for a restarted head to retry it elsewhere. */
export const ResumedTaskShape = Type.Object({ task: TaskSpecShape, attempt: Count });

/** An actor an agent still hosts, as the head started it, with the calls delivered to it and not yet answered. */
export const ResumedActorShape = Type.Object({
  actor: ActorSpecShape,
  attempt: Count,
  /** Its constructor has returned (actor.ready was sent). */
  ready: Type.Boolean(),
  calls: List(Type.Object({ call: ActorCallShape, attempt: Count })),
});

/** An object in an agent's store. */
export const HeldObjectShape = Type.Object({ id: Str, jobId: Str, size: Count });

/** What a handle needs: enough to call the actor from any process. */
export const ActorRefShape = Type.Object({ actorId: Str, cls: Str, methods: List(Str) });

export const StrategyShape = OneOf('PACK', 'SPREAD', 'STRICT_PACK', 'STRICT_SPREAD');

export const PlacementGroupSpecShape = Type.Object({
  pgId: Str,
  jobId: Str,
  owner: Str,
  name: Type.Optional(Str),
  strategy: StrategyShape,
  bundles: List(FixedShape),
});

export const NodeViewShape = Type.Object({
  nodeId: Str,
  nodeType: Str,
  kind: OneOf('head', 'worker'),
  address: Str,
  state: OneOf('ALIVE', 'DRAINING', 'DEAD'),
  total: ResourceDictShape,
  available: ResourceDictShape,
  pid: Count,
  lastHeartbeat: Type.Number(),
  /** When its agent last registered with the running head; absent while a restarted head still awaits it. */
  connectedAt: Type.Optional(Type.Number()),
  /** Why a node drains when the autoscaler did not choose it (a spot interruption notice). */
  drainReason: Type.Optional(Str),
});

export const DemandViewShape = Type.Object({
  resources: ResourceDictShape,
  count: Count,
  infeasible: Type.Boolean(),
  /** What asks: queued tasks, actors waiting for a node, or the bundles of a placement group waiting to be reserved. */
  source: OneOf('task', 'actor', 'placement_group'),
  /** For placement groups: their strategy (the autoscaler needs it). */
  strategy: Type.Optional(StrategyShape),
});

/** A recent failure, for `status`: nothing is lost silently. */
export const FailureViewShape = Type.Object({ at: Type.Number(), kind: ErrorKindShape, what: Str, message: Str, nodeId: Str });

export const ActorViewShape = Type.Object({
  actorId: Str,
  cls: Str,
  name: Nullable(Str),
  namespace: Str,
  jobId: Str,
  state: OneOf('PENDING', 'ALIVE', 'RESTARTING', 'DEAD'),
  nodeId: Nullable(Str),
  restarts: Count,
  /** What it holds for its life, on its node or in its placement-group bundle. */
  resources: ResourceDictShape,
  placementGroupId: Nullable(Str),
});

export const PlacementGroupStateShape = OneOf('PENDING', 'CREATED', 'RESCHEDULING', 'INFEASIBLE', 'REMOVED');

export const PlacementGroupViewShape = Type.Object({
  pgId: Str,
  name: Nullable(Str),
  strategy: StrategyShape,
  state: PlacementGroupStateShape,
  bundles: Type.Array(Type.Object({ resources: ResourceDictShape, nodeId: Nullable(Str) })),
});

export const JobStateShape = OneOf('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED');

export const JobViewShape = Type.Object({
  jobId: Str,
  name: Str,
  state: JobStateShape,
  exitCode: Nullable(Type.Integer()),
  startedAt: Type.Number(),
  endedAt: Nullable(Type.Number()),
  /** Why it ended as it did, where the exit code does not say (a driver started by hand that did not come back). */
  message: Type.Optional(Str),
});

const EventHead = { at: Type.Number(), seq: Count, message: Str };
const NullableCount = Nullable(Type.Integer());

/** The autoscaler's own view (src/common/autoscaler-view.ts holds the type; this schema must match it). */
export const AutoscalerViewShape = matching<AutoscalerView>()(Type.Object({
  events: Type.Array(Type.Union([
    Type.Object({ ...EventHead, kind: Type.Literal('launch'), nodeType: Str, count: Count }),
    Type.Object({ ...EventHead, kind: Type.Literal('terminate'), nodeId: Str, reason: Str }),
    Type.Object({ ...EventHead, kind: Type.Literal('drain'), nodeId: Str, reason: Str }),
    Type.Object({ ...EventHead, kind: Type.Literal('backoff'), nodeType: Str, seconds: Type.Number() }),
    Type.Object({ ...EventHead, kind: Type.Literal('setup-failed'), nodeId: Str, step: Nullable(Str), exitCode: NullableCount, error: Str, log: Str }),
    Type.Object({ ...EventHead, kind: Type.Literal('error') }),
  ])),
  pending: Type.Array(Type.Object({ resources: ResourceDictShape, count: Count, why: Str })),
  nodes: Type.Array(Type.Object({ nodeId: Str, why: Str })),
  launching: Type.Array(Type.Object({ nodeId: Str, nodeType: Str, status: Str })),
  stopped: Type.Optional(Str),
  errors: Count,
}));

export const ClusterStatusShape = Type.Object({
  clusterName: Str,
  headAddress: Str,
  runtimeVersion: Str,
  nodes: Type.Array(NodeViewShape),
  demands: Type.Array(DemandViewShape),
  jobs: Type.Array(JobViewShape),
  tasks: Type.Object({ pending: Count, running: Count, finished: Count, failed: Count }),
  actors: Type.Array(ActorViewShape),
  placementGroups: Type.Array(PlacementGroupViewShape),
  /** What request_resources() last asked for (the autoscaler keeps that much capacity). */
  requestedResources: Type.Array(ResourceDictShape),
  failures: Type.Array(FailureViewShape),
  autoscaler: Nullable(AutoscalerViewShape),
  /** Object bytes the head has passed between processes (it should stay off the data path). */
  relayedBytes: Count,
});

/**
 * A config sent with `up` for the running head to take live. Only what the head reads before comparing it with its
 * own config is checked here: config/changes.ts refuses any difference outside the autoscaler's settings, so every
 * other key must equal what the head already runs with.
 */
export const ClusterConfigShape = Type.Unsafe<ClusterConfig>(Type.Object({
  cluster_name: Str,
  max_workers: Count,
  upscaling_speed: Type.Number({ minimum: 0 }),
  idle_timeout_minutes: Type.Number({ minimum: 0 }),
  head_node_type: Str,
  provider: Type.Object({ type: Str }),
  available_node_types: Dict(Type.Object({ resources: ResourceDictShape, min_workers: Count, max_workers: Count })),
  raylaunch: Type.Object({ inline_object_limit: Count, heartbeat_timeout_s: Type.Number({ exclusiveMinimum: 0 }) }),
}));

export const LiveChangeShape = matching<LiveChange>()(Type.Object({ path: Str, from: Type.Unknown(), to: Type.Unknown() }));

export type ErrorInfo = Static<typeof ErrorInfoShape>;
export type ObjectValue = Static<typeof ObjectValueShape>;
export type TaskArg = Static<typeof TaskArgShape>;
export type TaskSpec = Static<typeof TaskSpecShape>;
export type ActorSpec = Static<typeof ActorSpecShape>;
export type ActorCall = Static<typeof ActorCallShape>;
export type ActorRef = Static<typeof ActorRefShape>;
export type ResumedTask = Static<typeof ResumedTaskShape>;
export type ResumedActor = Static<typeof ResumedActorShape>;
export type Strategy = Static<typeof StrategyShape>;
export type PlacementGroupSpec = Static<typeof PlacementGroupSpecShape>;
export type NodeView = Static<typeof NodeViewShape>;
export type DemandView = Static<typeof DemandViewShape>;
export type FailureView = Static<typeof FailureViewShape>;
export type ActorView = Static<typeof ActorViewShape>;
export type PlacementGroupView = Static<typeof PlacementGroupViewShape>;
export type JobState = Static<typeof JobStateShape>;
export type JobView = Static<typeof JobViewShape>;
export type ClusterStatus = Static<typeof ClusterStatusShape>;
export type Role = Static<typeof RoleShape>;
