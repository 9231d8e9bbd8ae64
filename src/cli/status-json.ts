// What `status` and the job commands return, and so what --json prints: snake_case at every depth, the case of
// Ray's config keys and of Ray's Jobs API (a job's `status`, `start_time`, `end_time` are Ray's names for the
// same things). The protocol types stay camelCase: they are the TypeScript spoken between head, agents, drivers
// and the job API (whose `nodes()` hands them to user code). The mapping is written out field by field rather
// than done by a generic key converter, because resource dicts (`CPU`, custom names) are data that a converter
// would have to be told to leave alone, and because here the compiler checks every field of the public shape.
import type { ResourceDict } from '../common/resources.js';
import type { ActorView, AutoscalerEvent, AutoscalerView, ClusterStatus, FailureView, JobState, JobView, NodeView, PlacementGroupView, Strategy } from '../protocol/messages.js';

/** A job, as `job list|status --json` and `status --json` print it (schemas/output/job-status.schema.json). */
export interface JobJson {
  job_id: string;
  name: string;
  status: JobState;
  exit_code: number | null;
  /** ms since the epoch, as Ray's Jobs API. */
  start_time: number;
  end_time: number | null;
  /** Why it ended as it did where the exit code does not say (Ray's Jobs API calls it message too). */
  message?: string;
}

export interface NodeJson {
  node_id: string;
  node_type: string;
  kind: NodeView['kind'];
  address: string;
  state: NodeView['state'];
  total: ResourceDict;
  available: ResourceDict;
  pid: number;
  last_heartbeat: number;
  /**
   * When its agent last registered with the running head (ms since the epoch); null for a node a restarted head
   * loaded from its store whose agent has not registered again yet.
   */
  connected_at: number | null;
  /** Why it drains, when the autoscaler did not choose it: `spot interruption notice`. */
  drain_reason?: string;
}

export interface DemandJson { resources: ResourceDict; count: number; infeasible: boolean; source: 'task' | 'actor' | 'placement_group'; strategy?: Strategy }

export interface ActorJson {
  actor_id: string;
  cls: string;
  name: string | null;
  namespace: string;
  job_id: string;
  state: ActorView['state'];
  node_id: string | null;
  restarts: number;
  resources: ResourceDict;
  placement_group_id: string | null;
}

export interface PlacementGroupJson {
  placement_group_id: string;
  name: string | null;
  strategy: Strategy;
  state: PlacementGroupView['state'];
  bundles: { resources: ResourceDict; node_id: string | null }[];
}

export interface FailureJson { at: number; kind: FailureView['kind']; what: string; message: string; node_id: string }

/** An autoscaler event: `kind` says which fields it carries besides when, its order and its message. */
export type AutoscalerEventJson = { at: number; seq: number; message: string } & (
  | { kind: 'launch'; node_type: string; count: number }
  | { kind: 'terminate'; node_id: string; reason: string }
  | { kind: 'drain'; node_id: string; reason: string }
  | { kind: 'backoff'; node_type: string; seconds: number }
  | { kind: 'setup-failed'; node_id: string; step: string | null; exit_code: number | null; error: string; log: string }
  | { kind: 'error' });

export interface AutoscalerJson {
  events: AutoscalerEventJson[];
  pending: { resources: ResourceDict; count: number; why: string }[];
  nodes: { node_id: string; why: string }[];
  launching: { node_id: string; node_type: string; status: string }[];
  stopped?: string;
  errors: number;
}

/** What `status` returns (schemas/output/status.schema.json). */
export interface StatusJson {
  cluster_name: string;
  head_address: string;
  runtime_version: string;
  nodes: NodeJson[];
  demands: DemandJson[];
  jobs: JobJson[];
  tasks: { pending: number; running: number; finished: number; failed: number };
  relayed_bytes: number;
  actors: ActorJson[];
  placement_groups: PlacementGroupJson[];
  requested_resources: ResourceDict[];
  failures: FailureJson[];
  autoscaler: AutoscalerJson | null;
}

export const jobJson = (j: JobView): JobJson => ({
  job_id: j.jobId, name: j.name, status: j.state, exit_code: j.exitCode, start_time: j.startedAt, end_time: j.endedAt,
  ...(j.message !== undefined ? { message: j.message } : {}),
});

const nodeJson = (n: NodeView): NodeJson => ({
  node_id: n.nodeId, node_type: n.nodeType, kind: n.kind, address: n.address, state: n.state, total: n.total, available: n.available,
  pid: n.pid, last_heartbeat: n.lastHeartbeat, connected_at: n.connectedAt ?? null, ...(n.drainReason !== undefined ? { drain_reason: n.drainReason } : {}),
});

const actorJson = (a: ActorView): ActorJson => ({
  actor_id: a.actorId, cls: a.cls, name: a.name, namespace: a.namespace, job_id: a.jobId, state: a.state, node_id: a.nodeId,
  restarts: a.restarts, resources: a.resources, placement_group_id: a.placementGroupId,
});

const placementGroupJson = (g: PlacementGroupView): PlacementGroupJson => ({
  placement_group_id: g.pgId, name: g.name, strategy: g.strategy, state: g.state, bundles: g.bundles.map((b) => ({ resources: b.resources, node_id: b.nodeId })),
});

function eventJson(e: AutoscalerEvent): AutoscalerEventJson {
  const base = { at: e.at, seq: e.seq, message: e.message };
  switch (e.kind) {
    case 'launch': return { ...base, kind: e.kind, node_type: e.nodeType, count: e.count };
    case 'terminate': return { ...base, kind: e.kind, node_id: e.nodeId, reason: e.reason };
    case 'drain': return { ...base, kind: e.kind, node_id: e.nodeId, reason: e.reason };
    case 'backoff': return { ...base, kind: e.kind, node_type: e.nodeType, seconds: e.seconds };
    case 'setup-failed': return { ...base, kind: e.kind, node_id: e.nodeId, step: e.step, exit_code: e.exitCode, error: e.error, log: e.log };
    case 'error': return { ...base, kind: e.kind };
  }
}

const autoscalerJson = (a: AutoscalerView): AutoscalerJson => ({
  events: a.events.map(eventJson),
  pending: a.pending.map((p) => ({ resources: p.resources, count: p.count, why: p.why })),
  nodes: a.nodes.map((n) => ({ node_id: n.nodeId, why: n.why })),
  launching: a.launching.map((l) => ({ node_id: l.nodeId, node_type: l.nodeType, status: l.status })),
  ...(a.stopped === undefined ? {} : { stopped: a.stopped }),
  errors: a.errors,
});

export const statusJson = (s: ClusterStatus): StatusJson => ({
  cluster_name: s.clusterName,
  head_address: s.headAddress,
  runtime_version: s.runtimeVersion,
  nodes: s.nodes.map(nodeJson),
  demands: s.demands.map((d) => ({ resources: d.resources, count: d.count, infeasible: d.infeasible, source: d.source, ...(d.strategy ? { strategy: d.strategy } : {}) })),
  jobs: s.jobs.map(jobJson),
  tasks: { pending: s.tasks.pending, running: s.tasks.running, finished: s.tasks.finished, failed: s.tasks.failed },
  relayed_bytes: s.relayedBytes,
  actors: s.actors.map(actorJson),
  placement_groups: s.placementGroups.map(placementGroupJson),
  requested_resources: s.requestedResources,
  failures: s.failures.map((f) => ({ at: f.at, kind: f.kind, what: f.what, message: f.message, node_id: f.nodeId })),
  autoscaler: s.autoscaler ? autoscalerJson(s.autoscaler) : null,
});
