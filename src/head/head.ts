import type { Clock } from '../common/clock.js';
import { type Fixed, formatResources, fromFixed, toFixed } from '../common/resources.js';
import { configChanges, type LiveChange } from '../config/changes.js';
import type { ClusterConfig } from '../config/types.js';
import { runtimeBuild } from '../runtime/layout.js';
import type { AutoscalerView, ClusterStatus, ErrorInfo, FailureView, Message, MessageOf, ObjectValue } from '../protocol/messages.js';
import type { ClusterFacts } from './autoscaler/loop.js';
import type { ObjectStore } from '../worker/object-store.js';
import type { Peer } from './control-plane.js';
import type { GcsStore } from './gcs/store.js';
import type { JobManager, JobSink } from './jobs/job-manager.js';
import { type NodeRecord, NodeTable } from './nodes.js';
import { ObjectDirectory } from './objects.js';
import { ActorManager } from './actors.js';
import { PlacementGroups } from './placement-groups.js';
import { NodeTypes } from './node-types.js';
import { feasibleOn } from './scheduler.js';
import { SlotBroker } from './slot-broker.js';
import { TaskManager } from './tasks.js';

export interface HeadOptions {
  clusterName: string;
  headNodeId: string;
  address: string;
  config: ClusterConfig;
  clock: Clock;
  /** The head node's own object store (held by its in-process agent). */
  localStore: ObjectStore;
  /** Where the GCS tables live. */
  store: GcsStore;
  /** host:port of the head node's object server. */
  objectAddress(): string;
  /** Keeps the config the head runs with where a restarted head reads it (config.json in its state folder). */
  saveConfig(config: ClusterConfig): void;
}

/**
 * The head's routing: every message from every peer lands here and goes to the node table, the object
 * directory, the task manager or the job manager; replies go back by client id.
 */
export class Head {
  readonly nodes: NodeTable;
  readonly objects: ObjectDirectory;
  readonly tasks: TaskManager;
  readonly actors: ActorManager;
  readonly groups: PlacementGroups;
  readonly nodeTypes: NodeTypes;
  readonly slots: SlotBroker;
  jobs!: JobManager;
  /** The autoscaler, once main has started it. */
  autoscaler: { view(): AutoscalerView; nudge(): void; terminateWorkers(keepMinWorkers: boolean): Promise<string[]>; reconfigure(config: ClusterConfig): void } | undefined;
  private readonly failures: FailureView[] = [];
  private requested: Readonly<Record<string, number>>[] = [];
  private readonly routes = new Map<string, Peer>();
  private readonly nodePeers = new Map<string, Peer>();
  private readonly followers = new Map<Peer, JobSink[]>();
  private readonly relays = new Map<number, { client: string; reqId: number }>();
  private relaySeq = 0;
  relayedBytes = 0;

  constructor(private readonly o: HeadOptions) {
    this.nodes = new NodeTable(o.store);
    this.objects = new ObjectDirectory((client, id, value) => this.toClient(client, { type: 'object', client, id, value }));
    this.nodeTypes = new NodeTypes(o.config);
    const failed = (f: { kind: ErrorInfo['kind']; what: string; message: string; nodeId: string }) => this.recordFailure(f);
    const freed = () => this.resourcesChanged();
    this.groups = new PlacementGroups({
      nodes: this.nodes,
      notify: (client, pgId, state, message) => this.toClient(client, { type: 'pg.state', client, pgId, state, ...(message ? { message } : {}) }),
      limits: () => ({ shapes: this.nodeTypes.shapes(), maxNodes: this.nodeTypes.maxNodes() }),
      resourcesFreed: freed,
      removed: (pgId, why, byJob) => {
        this.actors.killGroup(pgId, why, byJob);
        this.tasks.cancelGroup(pgId, why);
      },
    });
    this.slots = new SlotBroker({ nodes: this.nodes, bundles: this.groups, nodeTypes: this.nodeTypes });
    this.tasks = new TaskManager({
      objects: this.objects,
      nodes: this.nodes,
      slots: this.slots,
      runOn: (nodeId, m) => this.nodePeers.get(nodeId)?.send(m),
      kill: (nodeId, taskId) => this.nodePeers.get(nodeId)?.send({ type: 'task.cancel', taskId }),
      warn: (client, message) => this.toClient(client, { type: 'warning', client, message }),
      failed,
      freed,
      nodeTypes: () => this.nodeTypes.list(),
    });
    this.actors = new ActorManager({
      objects: this.objects, slots: this.slots, send: (nodeId, m) => this.nodePeers.get(nodeId)?.send(m), failed, resourcesFreed: freed,
    });
  }

  /** A node type's resources as planned with: declared, or learned from its first node. */
  typeResources(nodeType: string): Record<string, number> {
    return this.nodeTypes.resourcesOf(nodeType);
  }

  private placing = false;

  /**
   * Free resources changed: waiting groups, actors and tasks may fit now, in that order (reservations first).
   * One pass per turn of the event loop, however many tasks ended in it.
   */
  private resourcesChanged(): void {
    if (this.placing) return;
    this.placing = true;
    this.tasks.schedule();
    setImmediate(() => this.placeNow());
  }

  private placeNow(): void {
    if (this.placing) {
      this.placing = false;
      this.groups.place();
      this.actors.place();
    }
    this.tasks.placeNow();
  }

  private recordFailure(f: { kind: ErrorInfo['kind']; what: string; message: string; nodeId: string }): void {
    this.failures.push({ at: this.o.clock.now(), ...f, message: f.message.split('\n')[0] ?? '' });
    if (this.failures.length > 50) this.failures.shift();
  }

  private toClient(client: string, m: Message): void {
    this.routes.get(client)?.send(m);
  }

  handle(peer: Peer, msgs: readonly Message[]): void {
    for (const m of msgs) {
      if (!peer.role && m.type !== 'hello') {
        peer.close('the first message must be hello');
        return;
      }
      this.dispatch(peer, m);
    }
    // One placement pass per frame, right away: a frame of finished tasks makes room for the next ones.
    this.placeNow();
  }

  private welcome(peer: Peer, jobId?: string, namespace?: string): void {
    peer.send({
      type: 'welcome', clusterName: this.o.clusterName, headNodeId: this.o.headNodeId, inlineLimit: this.o.config.raylaunch.inline_object_limit,
      heartbeatTimeoutMs: this.o.config.raylaunch.heartbeat_timeout_s * 1000, ...(jobId ? { jobId } : {}), ...(namespace ? { namespace } : {}),
    });
  }

  private hello(peer: Peer, m: MessageOf<'hello'>): void {
    if (peer.role === 'agent' && m.role === 'worker') {
      this.routes.set(m.clientId, peer); // a worker process behind this agent
      return;
    }
    peer.role = m.role;
    peer.clientId = m.clientId;
    if (m.role === 'agent') {
      peer.nodeId = m.nodeId;
      return this.welcome(peer);
    }
    if (m.role === 'driver') {
      const job = this.jobs.attachDriver({
        clientId: m.clientId, ...(m.jobId ? { jobId: m.jobId } : {}), ...(m.bundle ? { bundle: m.bundle } : {}), ...(m.name ? { name: m.name } : {}),
        ...(m.namespace ? { namespace: m.namespace } : {}),
      });
      if (!job) {
        peer.send({ type: 'fatal', message: `job ${m.jobId ?? ''} is not running on this cluster` });
        return peer.close('unknown job');
      }
      this.routes.set(m.clientId, peer);
      return this.welcome(peer, job.jobId, job.namespace);
    }
    this.routes.set(m.clientId, peer);
    this.welcome(peer);
  }

  private dispatch(peer: Peer, m: Message): void {
    const now = this.o.clock.now();
    switch (m.type) {
      case 'hello': return this.hello(peer, m);
      case 'node.register':
        this.nodeTypes.learn(m.nodeType, m.resources);
        this.nodes.register(m, now);
        this.nodePeers.set(m.nodeId, peer);
        peer.nodeId = m.nodeId;
        return this.resourcesChanged();
      case 'heartbeat': return this.nodes.heartbeat(m.nodeId, now);
      case 'submit': {
        this.autoscaler?.nudge();
        const misfit = this.placementMisfit(m.task.placement, m.task.resources, m.task.name);
        if (misfit) this.objects.set(m.task.returnId, misfit, m.task.jobId);
        else this.tasks.submit(m.task);
        return this.objects.subscribe(m.task.owner, m.task.returnId);
      }
      case 'task.done': return this.tasks.done(m.taskId, m.attempt, m.value);
      case 'task.crashed': return this.tasks.crashed(m.taskId, m.attempt, m.reason, m.pid);
      case 'task.blocked': return this.tasks.blocked(m.taskId);
      case 'task.unblocked': return this.tasks.unblocked(m.taskId);
      case 'cancel':
        if (!this.tasks.cancel(m.id, m.force, m.recursive)) this.actors.cancel(m.id);
        return;
      case 'actor.create': {
        this.autoscaler?.nudge();
        const misfit = this.placementMisfit(m.actor.placement, m.actor.place, m.actor.name);
        if (misfit?.kind === 'error') {
          this.recordFailure({ kind: 'placement', what: m.actor.name, message: misfit.error.message, nodeId: '' });
          return this.toClient(m.actor.owner, { type: 'warning', client: m.actor.owner, message: misfit.error.message });
        }
        return this.actors.create(m.actor);
      }
      case 'actor.ready': return this.actors.ready(m.actorId, m.attempt);
      case 'actor.failed': return this.actors.startFailed(m.actorId, m.attempt, m.error);
      case 'actor.died': return this.actors.died(m.actorId, m.attempt, m.reason);
      case 'actor.call':
        this.actors.call(m.call);
        return this.objects.subscribe(m.call.owner, m.call.returnId);
      case 'actor.done': return this.actors.done(m.callId, m.actorId, m.attempt, m.value);
      case 'actor.kill': return this.actors.kill(m.actorId, m.noRestart, m.jobId);
      case 'actor.lookup': return this.toClient(m.client, { type: 'actor.found', reqId: m.reqId, client: m.client, actor: this.actors.lookup(m.name, m.namespace) });
      case 'pg.create':
        this.autoscaler?.nudge();
        return this.groups.create(m.pg);
      case 'pg.remove': return this.groups.remove(m.pgId, m.jobId);
      case 'resources.request':
        this.autoscaler?.nudge();
        this.requested = m.bundles;
        this.o.store.kv.set('request_resources', new TextEncoder().encode(JSON.stringify(m.bundles)));
        return;
      case 'put': return this.objects.set(m.id, this.keepLarge(m.id, m.value, m.jobId), m.jobId);
      case 'fetch':
        for (const id of m.ids) this.objects.subscribe(m.client, id);
        return;
      case 'object.pull': return this.pull(m);
      case 'object.data': {
        const relay = this.relays.get(m.reqId);
        this.relays.delete(m.reqId);
        if (!relay) return;
        this.relayedBytes += m.data?.byteLength ?? 0;
        return this.toClient(relay.client, { ...m, reqId: relay.reqId, client: relay.client });
      }
      case 'log':
        for (const driver of this.jobs.driversOf(m.jobId)) this.toClient(driver, m);
        return;
      case 'job.submit': {
        const jobId = this.jobs.submit(m);
        return peer.send({ type: 'job.accepted', reqId: m.reqId, jobId });
      }
      case 'job.follow': {
        const sink: JobSink = {
          output: (stream, text) => peer.send({ type: 'job.output', jobId: m.jobId, stream, text }),
          exit: (state, exitCode) => peer.send({ type: 'job.exit', jobId: m.jobId, state, exitCode }),
          snapshotEnd: (state) => peer.send({ type: 'job.snapshot.end', jobId: m.jobId, state }),
        };
        this.followers.set(peer, [...(this.followers.get(peer) ?? []), sink]);
        if (!this.jobs.follow(m.jobId, sink, m.follow ?? true)) peer.send({ type: 'job.missing', jobId: m.jobId });
        return;
      }
      case 'job.stop': return this.jobs.stop(m.jobId);
      case 'job.bundle.get': return peer.send({ type: 'job.bundle', reqId: m.reqId, jobId: m.jobId, bundle: this.jobs.bundle(m.jobId), ...this.jobs.files(m.jobId) });
      case 'query': return peer.send({ type: 'query.reply', reqId: m.reqId, client: m.client, status: this.status() });
      case 'config.update':
        if (peer.role !== 'cli') return peer.close('only the raylaunch CLI may change the cluster\'s config');
        return peer.send({ type: 'config.updated', reqId: m.reqId, client: m.client, ...this.updateConfig(m.config) });
      case 'workers.down': {
        const reply = (terminated: string[], error?: string) => peer.send({ type: 'workers.down.reply', reqId: m.reqId, client: m.client, terminated, ...(error ? { error } : {}) });
        if (!this.autoscaler) return reply([], 'this head runs no autoscaler');
        void this.autoscaler.terminateWorkers(m.keepMinWorkers).then((ids) => reply(ids), (e: unknown) => reply([], (e as Error).message));
        return;
      }
      default:
        return;
    }
  }

  /**
   * `up` with a changed config whose changes the head can take without a restart: the autoscaler's settings. A
   * change that needs a restart is refused (`up` restarts the head for those).
   */
  private updateConfig(next: ClusterConfig): { applied: LiveChange[]; error?: string } {
    const { live, restart } = configChanges(this.o.config, next);
    if (restart.length > 0) return { applied: [], error: `these settings need a restart of the head: ${restart.join(', ')}` };
    if (live.length === 0) return { applied: [] };
    this.o.config = next;
    this.nodeTypes.reconfigure(next);
    this.autoscaler?.reconfigure(next);
    this.o.saveConfig(next);
    this.autoscaler?.nudge();
    return { applied: live };
  }

  /** Work asked to run in a placement group none of whose bundles could ever hold it fails now, not never. */
  private placementMisfit(placement: { pgId: string; bundleIndex: number } | undefined, need: Fixed, name: string): ObjectValue | undefined {
    if (!placement || this.groups.fitsBundle(placement.pgId, placement.bundleIndex, need)) return undefined;
    const where = placement.bundleIndex < 0 ? 'any bundle' : `bundle ${placement.bundleIndex}`;
    return {
      kind: 'error',
      error: {
        kind: 'placement', name: 'RaylaunchRuntimeError', stack: '', taskName: name, nodeId: '', pid: 0,
        message: `${name} needs ${formatResources(fromFixed(need))}, more than ${where} of placement group ${placement.pgId} holds (or the group does not exist)`,
      },
    };
  }

  /** A driver's large put stays on the head node (drivers run there), like a task's large result on its node. */
  private keepLarge(id: string, value: ObjectValue, jobId: string): ObjectValue {
    if (value.kind !== 'inline' || value.data.byteLength <= this.o.config.raylaunch.inline_object_limit) return value;
    this.o.localStore.put(id, value.data, jobId);
    return { kind: 'stored', nodeId: this.o.headNodeId, size: value.data.byteLength, address: this.o.objectAddress() };
  }

  private pull(m: MessageOf<'object.pull'>): void {
    if (m.nodeId === this.o.headNodeId) {
      return this.toClient(m.client, { type: 'object.data', reqId: m.reqId, client: m.client, id: m.id, data: this.o.localStore.get(m.id) ?? null });
    }
    const holder = this.nodePeers.get(m.nodeId);
    if (!holder || this.nodes.get(m.nodeId)?.state !== 'ALIVE') {
      return this.toClient(m.client, { type: 'object.data', reqId: m.reqId, client: m.client, id: m.id, data: null });
    }
    const relayId = this.relaySeq++;
    this.relays.set(relayId, { client: m.client, reqId: m.reqId });
    holder.send({ ...m, reqId: relayId });
  }

  closed(peer: Peer): void {
    for (const sink of this.followers.get(peer) ?? []) this.jobs.unfollow(sink);
    this.followers.delete(peer);
    for (const [client, p] of this.routes) {
      if (p !== peer) continue;
      this.routes.delete(client);
      this.objects.unsubscribeAll(client);
    }
    if (peer.role === 'driver' && peer.clientId) this.jobs.driverDisconnected(peer.clientId);
    if (peer.role === 'agent' && peer.nodeId && this.nodePeers.get(peer.nodeId) === peer) {
      this.nodePeers.delete(peer.nodeId);
      this.nodeLost(peer.nodeId);
    }
  }

  private nodeLost(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    const expected = node?.state === 'DRAINING'; // the autoscaler terminated it: not a failure
    if (!this.nodes.markDead(nodeId, this.o.clock.now())) return;
    if (!expected) this.recordFailure({ kind: 'lost', what: `node ${nodeId}`, message: `node ${nodeId} (${node?.nodeType ?? '?'}) died`, nodeId });
    this.objects.markLost(nodeId);
    this.groups.nodeDied(nodeId);
    this.actors.nodeDied(nodeId);
    this.tasks.nodeDied(nodeId);
    this.resourcesChanged();
  }

  /** Marks nodes dead whose heartbeats stopped; forgets long-dead ones; notes which nodes are in use. */
  checkLiveness(): void {
    const now = this.o.clock.now();
    const busy = this.busyWhy();
    this.nodes.touch(now, (n) => busy(n) !== undefined);
    for (const n of this.nodes.silentSince(now - this.o.config.raylaunch.heartbeat_timeout_s * 1000)) {
      if (n.nodeId === this.o.headNodeId) continue;
      this.nodeLost(n.nodeId);
      this.nodePeers.get(n.nodeId)?.close('heartbeats stopped');
    }
    this.nodes.prune(now, 10 * 60_000);
  }

  /** A job ended: its work is cancelled, its objects freed, and every node told. */
  jobEnded(jobId: string): void {
    this.actors.jobEnded(jobId);
    this.groups.jobEnded(jobId);
    this.tasks.cancelJob(jobId);
    this.objects.dropJob(jobId);
    this.o.localStore.dropJob(jobId);
    for (const p of new Set(this.nodePeers.values())) p.send({ type: 'job.ended', jobId });
  }

  private actorDemands(): ClusterStatus['demands'] {
    const byShape = new Map<string, { resources: Record<string, number>; count: number }>();
    for (const shape of this.actors.pendingShapes()) {
      const resources = fromFixed(shape);
      const key = JSON.stringify(resources);
      const d = byShape.get(key) ?? { resources, count: 0 };
      d.count += 1;
      byShape.set(key, d);
    }
    const shapes = this.nodeTypes.shapes();
    return [...byShape.values()].map((d) => ({ ...d, infeasible: !feasibleOn(shapes, toFixed(d.resources)), source: 'actor' as const }));
  }

  /** Why a node is in use (and so not idle), if it is: work or reserved bundles, an actor, objects a job may get. */
  private busyWhy(): (n: NodeRecord) => string | undefined {
    const actors = this.actors.nodesInUse();
    const holders = this.objects.holders();
    return (n) => (Object.entries(n.total).some(([k, v]) => (n.available[k] ?? 0) < v) ? 'running work'
      : actors.has(n.nodeId) ? 'hosts an actor' : holders.has(n.nodeId) ? 'holds objects a job may still need' : undefined);
  }

  /** What the autoscaler gathers each tick. */
  autoscalerFacts(): ClusterFacts {
    const busy = this.busyWhy();
    return {
      nodes: this.nodes.all().map((n) => {
        const why = busy(n);
        return {
          nodeId: n.nodeId, nodeType: n.nodeType, kind: n.kind, alive: n.state !== 'DEAD', total: fromFixed(n.total),
          available: fromFixed(Object.fromEntries(Object.entries(n.available).map(([k, v]) => [k, Math.max(0, v)]))),
          lastUsedAt: n.lastUsedAt, registeredAt: n.registeredAt, ...(n.diedAt !== undefined && n.state === 'DEAD' ? { diedAt: n.diedAt } : {}), ...(why ? { busy: why } : {}),
        };
      }),
      demands: [...this.tasks.demands(), ...this.actorDemands()].filter((d) => d.source !== 'placement_group').map((d) => ({ resources: d.resources, count: d.count })),
      placementGroups: this.groups.pending(),
      requested: this.requested.map((r) => ({ resources: { ...r }, count: 1 })),
    };
  }

  /** The autoscaler chose this node for termination: no new work goes there. */
  drain(nodeId: string): void {
    this.nodes.markDraining(nodeId);
  }

  status(): ClusterStatus {
    return {
      clusterName: this.o.clusterName,
      headAddress: this.o.address,
      runtimeVersion: runtimeBuild(),
      nodes: this.nodes.all().map((n) => this.nodes.view(n)),
      demands: [...this.tasks.demands(), ...this.actorDemands(), ...this.groups.demands()],
      jobs: this.jobs.list(),
      tasks: this.tasks.counts(),
      actors: this.actors.views(),
      placementGroups: this.groups.views(),
      requestedResources: this.requested,
      failures: [...this.failures],
      autoscaler: this.autoscaler?.view() ?? null,
      relayedBytes: this.relayedBytes,
    };
  }
}
