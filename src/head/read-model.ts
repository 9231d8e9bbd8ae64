import { fromFixed, type ResourceDict, toFixed } from '../common/resources.js';
import type { AutoscalerView, ClusterStatus, DemandView, JobView } from '../protocol/messages.js';
import { runtimeBuild } from '../runtime/layout.js';
import type { ActorManager } from './actors.js';
import type { ClusterFacts } from './autoscaler/loop.js';
import { type BusyReason, busyReasons } from './busy.js';
import type { FailureLog } from './failures.js';
import type { NodeRecord, NodeTable } from './nodes.js';
import type { NodeTypes } from './node-types.js';
import type { ObjectDirectory } from './objects.js';
import type { ObjectRelay } from './object-relay.js';
import type { PlacementGroups } from './placement-groups.js';
import { feasibleOn } from './scheduler.js';
import type { TaskManager } from './tasks.js';
import type { PeerRegistry } from './peers.js';

/** The head's tables as the read model reads them (the Head has them all). */
export interface ReadSources {
  readonly nodes: Pick<NodeTable, 'all' | 'view'>;
  readonly tasks: Pick<TaskManager, 'demands' | 'counts' | 'runningByNode'>;
  readonly actors: Pick<ActorManager, 'pendingShapes' | 'views' | 'nodesInUse'>;
  readonly groups: Pick<PlacementGroups, 'demands' | 'pending' | 'views'>;
  readonly objects: Pick<ObjectDirectory, 'holders' | 'storedByNode'>;
  readonly nodeTypes: Pick<NodeTypes, 'shapes'>;
  readonly failures: Pick<FailureLog, 'list'>;
  readonly relay: Pick<ObjectRelay, 'relayedBytes'>;
  readonly peers: Pick<PeerRegistry, 'workersByNode'>;
  /** What request_resources() last asked for. */
  readonly requested: readonly ResourceDict[];
}

export interface ReadModelOptions {
  clusterName: string;
  /** host:port of the control plane. */
  address: string;
  cluster: ReadSources;
  jobs: { list(): JobView[] };
}

export interface NodeSnapshot {
  node: NodeRecord;
  /** Why it is not idle, if it is not. */
  busy: BusyReason | undefined;
}

/** One synchronous read of the head's tables: every view of the cluster is a projection of it. */
export interface ClusterSnapshot {
  nodes: NodeSnapshot[];
  /** Pending work of every source: queued tasks, actors waiting for a node, bundles waiting to be reserved. */
  demands: DemandView[];
}

/** What the dashboard shows of a node besides its NodeView. */
export interface NodeDetail {
  nodeId: string;
  /** Why it is not idle (the same words as `status`), or null. */
  busy: string | null;
  tasksRunning: number;
  objectsHeld: number;
  /** Live actors it hosts. */
  actors: number;
  /** Its worker processes connected now (each of one job), by client id. */
  workers: { clientId: string; jobId: string }[];
}

/** `status` and what the dashboard's pages add to it: per-node detail and each dead actor's last error. */
export interface DashboardView {
  status: ClusterStatus;
  nodeDetails: NodeDetail[];
  /** actorId → the failure that ended it, for actors that are DEAD. */
  actorErrors: Record<string, string>;
}

/**
 * What the cluster looks like, read one way for everyone: `status` (and a dashboard) and the autoscaler's facts
 * project the same snapshot, so a node's busy reason or a pending demand is the same fact in both.
 */
export class ClusterReadModel {
  constructor(private readonly o: ReadModelOptions) {}

  snapshot(): ClusterSnapshot {
    const c = this.o.cluster;
    const busy = busyReasons(c.actors.nodesInUse(), c.objects.holders());
    return {
      nodes: c.nodes.all().map((node) => ({ node, busy: busy(node) })),
      demands: [...c.tasks.demands(), ...this.actorDemands(), ...c.groups.demands()],
    };
  }

  /** Actors waiting for a node, one demand per shape. */
  private actorDemands(): DemandView[] {
    const byShape = new Map<string, { resources: Record<string, number>; count: number }>();
    for (const shape of this.o.cluster.actors.pendingShapes()) {
      const resources = fromFixed(shape);
      const key = JSON.stringify(resources);
      const d = byShape.get(key) ?? { resources, count: 0 };
      d.count += 1;
      byShape.set(key, d);
    }
    const shapes = this.o.cluster.nodeTypes.shapes();
    return [...byShape.values()].map((d) => ({ ...d, infeasible: !feasibleOn(shapes, toFixed(d.resources)), source: 'actor' as const }));
  }

  /** What the autoscaler gathers each tick. */
  autoscalerFacts(): ClusterFacts {
    const c = this.o.cluster;
    const s = this.snapshot();
    return {
      nodes: s.nodes.map(({ node: n, busy }) => ({
        nodeId: n.nodeId, nodeType: n.nodeType, kind: n.kind, alive: n.state !== 'DEAD', total: fromFixed(n.total),
        available: fromFixed(Object.fromEntries(Object.entries(n.available).map(([k, v]) => [k, Math.max(0, v)]))),
        lastUsedAt: n.lastUsedAt, registeredAt: n.registeredAt, ...(n.diedAt !== undefined && n.state === 'DEAD' ? { diedAt: n.diedAt } : {}),
        ...(busy ? { busy: busy.text } : {}), ...(n.drainReason !== undefined && n.state === 'DRAINING' ? { drainReason: n.drainReason } : {}),
      })),
      // Bundles waiting to be reserved reach the autoscaler as whole groups (their strategy matters), not as demands.
      demands: s.demands.filter((d) => d.source !== 'placement_group').map((d) => ({ resources: d.resources, count: d.count })),
      placementGroups: c.groups.pending(),
      requested: c.requested.map((r) => ({ resources: { ...r }, count: 1 })),
    };
  }

  /** `status`; the autoscaler's own view (its events and reasons) is passed in. */
  status(autoscaler: AutoscalerView | null): ClusterStatus {
    const c = this.o.cluster;
    const s = this.snapshot();
    return {
      clusterName: this.o.clusterName,
      headAddress: this.o.address,
      runtimeVersion: runtimeBuild(),
      nodes: s.nodes.map((n) => c.nodes.view(n.node)),
      demands: s.demands,
      jobs: this.o.jobs.list(),
      tasks: c.tasks.counts(),
      actors: c.actors.views(),
      placementGroups: c.groups.views(),
      requestedResources: [...c.requested],
      failures: c.failures.list(),
      autoscaler,
      relayedBytes: c.relay.relayedBytes,
    };
  }

  /** The dashboard's pages: `status` plus per-node detail and why dead actors died. */
  dashboard(autoscaler: AutoscalerView | null): DashboardView {
    const c = this.o.cluster;
    const status = this.status(autoscaler);
    const running = c.tasks.runningByNode();
    const stored = c.objects.storedByNode();
    const workers = c.peers.workersByNode();
    const busy = new Map(this.snapshot().nodes.map((n) => [n.node.nodeId, n.busy?.text ?? null]));
    const actorsOn = new Map<string, number>();
    for (const a of status.actors) if (a.nodeId !== null && a.state !== 'DEAD') actorsOn.set(a.nodeId, (actorsOn.get(a.nodeId) ?? 0) + 1);
    const nodeDetails = status.nodes.map((n) => ({
      nodeId: n.nodeId, busy: busy.get(n.nodeId) ?? null, tasksRunning: running.get(n.nodeId) ?? 0, objectsHeld: stored.get(n.nodeId) ?? 0, actors: actorsOn.get(n.nodeId) ?? 0,
      workers: workers.get(n.nodeId) ?? [],
    }));
    // The failure log names an actor by its class and node: the latest such failure is what ended a dead one.
    const actorErrors: Record<string, string> = {};
    for (const a of status.actors) {
      if (a.state !== 'DEAD') continue;
      const f = status.failures.filter((x) => x.what === a.cls && (a.nodeId === null || x.nodeId === a.nodeId)).at(-1);
      if (f) actorErrors[a.actorId] = f.message;
    }
    return { status, nodeDetails, actorErrors };
  }
}
