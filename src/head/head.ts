import type { Clock } from '../common/clock.js';
import { type Fixed, formatResources, fromFixed, type ResourceDict } from '../common/resources.js';
import { configChanges, type LiveChange } from '../config/changes.js';
import type { ClusterConfig } from '../config/types.js';
import { errorInfo } from '../protocol/error-info.js';
import type { ActorSpec, MessageOf, ObjectValue, TaskSpec } from '../protocol/messages.js';
import { ActorManager } from './actors.js';
import type { AuthFacts } from './authorize.js';
import { busyReasons } from './busy.js';
import type { Peer } from './control-plane.js';
import { type Failure, FailureLog } from './failures.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';
import { NodeTable } from './nodes.js';
import { NodeTypes } from './node-types.js';
import { ObjectDirectory } from './objects.js';
import { ObjectRelay } from './object-relay.js';
import { PeerRegistry } from './peers.js';
import { PlacementGroups } from './placement-groups.js';
import { QueuedWork } from './queued-work.js';
import { recoveryOver } from './resume-plan.js';
import type { ReadSources } from './read-model.js';
import { SlotBroker } from './slot-broker.js';
import { TaskManager } from './tasks.js';

export interface HeadOptions {
  clusterName: string;
  headNodeId: string;
  config: ClusterConfig;
  clock: Clock;
  /** Where the GCS tables live. */
  store: GcsStore;
  /** Keeps the config the head runs with where a restarted head reads it (config.json in its state folder). */
  saveConfig(config: ClusterConfig): void;
  /** What admits agents and drivers to every node's object server; handed out in their welcome. */
  objectCredential?: string;
  /** The head node's own agent registered (again). */
  ownNodeRegistered?(): void;
}

/** The key of the one request_resources record (each call replaces the one before). */
const REQUESTED = 'last';

/** How long dead nodes and dead actors of ended jobs stay listed. */
export const DEAD_KEPT_MS = 10 * 60_000;

/**
 * The cluster's state and how its parts affect each other: the node table, the object directory, tasks, actors
 * and placement groups over one slot broker, and what follows a node's loss, a job's end or freed resources.
 * Messages reach it through the router (router.ts, handlers.ts); views of it come from the read model.
 */
export class Head implements ReadSources {
  readonly nodes: NodeTable;
  readonly objects: ObjectDirectory;
  readonly tasks: TaskManager;
  readonly actors: ActorManager;
  readonly groups: PlacementGroups;
  readonly nodeTypes: NodeTypes;
  readonly slots: SlotBroker;
  readonly peers = new PeerRegistry();
  readonly relay: ObjectRelay;
  readonly failures: FailureLog;
  /** What authorize.ts decides on: the head's tables, looked up. */
  readonly authFacts: AuthFacts;
  /** Per job, the actors it found with getActor(): it holds a handle to them (it may kill detached ones). */
  private readonly found = new Map<string, Set<string>>();
  private config: ClusterConfig;
  /**
   * request_resources(): one record, written behind (the call has no reply to hold back); a restarted head
   * reads it back, so the capacity it asked for is kept across the restart. A call lost with the head before
   * it was written leaves the one before it in force.
   */
  private readonly requestedTable: Table<ResourceDict[]>;
  private placing = false;
  /** A restarted head whose loaded nodes have not all come back (or been declared dead) yet. */
  private recovering: boolean;
  private readonly recoverBy: number;
  private readonly recoveredNow: () => void;
  /**
   * Resolves once every node this head loaded from the store has registered again (with its re-report, which
   * comes in the same frame) or been declared dead: at once on a first start. A resumed driver is answered only
   * then, so that what a node still runs is not submitted again.
   */
  readonly recovered: Promise<void>;
  /** Drivers' large puts the head node's agent has been handed and not yet confirmed, by id. */
  private readonly storing = new Map<string, MessageOf<'put'>>();

  constructor(private readonly o: HeadOptions) {
    this.config = o.config;
    // A restarted head gives the agents it knew head_reconnect_timeout_s to come back before declaring them dead.
    this.nodes = new NodeTable(o.store, o.clock.now(), o.config.raylaunch.head_reconnect_timeout_s * 1000);
    this.requestedTable = o.store.table<ResourceDict[]>('request_resources');
    this.nodeTypes = new NodeTypes(o.config);
    this.failures = new FailureLog(o.clock);
    this.objects = new ObjectDirectory((client, id, value) => this.peers.toClient(client, { type: 'object', client, id, value }), o.store);
    this.recovering = this.nodes.all().some((n) => n.reconnectBy !== undefined);
    this.recoverBy = o.clock.now() + o.config.raylaunch.head_reconnect_timeout_s * 1000;
    let resolve = () => undefined as void;
    this.recovered = new Promise<void>((r) => { resolve = r; });
    this.recoveredNow = resolve;
    if (!this.recovering) resolve();
    this.relay = new ObjectRelay({
      toClient: (client, m) => this.peers.toClient(client, m),
      holder: (nodeId) => (this.nodes.get(nodeId)?.state === 'ALIVE' ? this.peers.node(nodeId) : undefined),
    });
    const failed = (f: Failure) => this.failures.record(f);
    const freed = () => this.resourcesChanged();
    this.groups = new PlacementGroups({
      nodes: this.nodes,
      notify: (client, pgId, state, message) => this.peers.toClient(client, { type: 'pg.state', client, pgId, state, ...(message ? { message } : {}) }),
      limits: () => ({ shapes: this.nodeTypes.shapes(), maxNodes: this.nodeTypes.maxNodes() }),
      resourcesFreed: freed,
      removed: (pgId, why, byJob) => {
        this.actors.killGroup(pgId, why, byJob);
        this.tasks.cancelGroup(pgId, why);
      },
    }, o.store);
    this.slots = new SlotBroker({ nodes: this.nodes, bundles: this.groups, nodeTypes: this.nodeTypes });
    const queue = new QueuedWork(o.store);
    this.tasks = new TaskManager({
      objects: this.objects,
      nodes: this.nodes,
      slots: this.slots,
      runOn: (nodeId, m) => this.peers.toNode(nodeId, m),
      kill: (nodeId, taskId) => this.peers.toNode(nodeId, { type: 'task.cancel', taskId }),
      warn: (client, message) => this.peers.toClient(client, { type: 'warning', client, message }),
      failed,
      freed,
      nodeTypes: () => this.nodeTypes.list(),
      queue,
    });
    this.tasks.restore();
    this.actors = new ActorManager({
      objects: this.objects, slots: this.slots, send: (nodeId, m) => this.peers.toNode(nodeId, m), failed, resourcesFreed: freed, queue,
    }, o.store);
    this.authFacts = {
      client: (id) => this.peers.client(id), jobsVia: (peer) => this.peers.jobsVia(peer), nodePeer: (id) => this.peers.node(id),
      task: (id) => this.tasks.owner(id), actor: (id) => this.actors.owner(id), objectJob: (id) => this.objects.jobOf(id),
      found: (jobId, actorId) => this.found.get(jobId)?.has(actorId) ?? false, groupJob: (id) => this.groups.jobOf(id),
    };
    if (!this.recovering) this.tasks.runRestored();
  }

  /** A job's getActor() found this actor: the job holds a handle to it now. */
  foundActor(jobId: string, actorId: string): void {
    const set = this.found.get(jobId) ?? new Set<string>();
    set.add(actorId);
    this.found.set(jobId, set);
  }

  /**
   * A value as the head keeps it. Only a node's agent says an object is stored, and only on its own node; where
   * to fetch it is the node table's object server for that node, never an address the sender wrote.
   */
  trusted(peer: Peer, value: ObjectValue): ObjectValue {
    if (value.kind !== 'stored') return value;
    if (peer.role !== 'agent' || value.nodeId !== peer.nodeId) throw new Error(`it names an object stored on node ${value.nodeId}, which is not its own`);
    return { ...value, address: this.nodes.get(value.nodeId)?.objectAddress ?? '' };
  }

  get requested(): readonly ResourceDict[] {
    return this.requestedTable.get(REQUESTED) ?? [];
  }

  /** What a peer is told once its hello is accepted. */
  /** `objectCredential`: for an agent or a driver, which fetch from object servers (never the CLI or a worker process). */
  welcome(o: { jobId?: string | undefined; namespace?: string | undefined; objectCredential?: boolean } = {}): MessageOf<'welcome'> {
    const { jobId, namespace } = o;
    return {
      type: 'welcome', clusterName: this.o.clusterName, headNodeId: this.o.headNodeId, inlineLimit: this.config.raylaunch.inline_object_limit,
      heartbeatTimeoutMs: this.config.raylaunch.heartbeat_timeout_s * 1000, ...(jobId ? { jobId } : {}), ...(namespace ? { namespace } : {}),
      ...(o.objectCredential && this.o.objectCredential ? { objectCredential: this.o.objectCredential } : {}),
    };
  }

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

  /** Runs the placement pass now: the router calls it once per frame (a frame of finished tasks makes room). */
  placeNow(): void {
    if (this.placing) {
      this.placing = false;
      this.groups.place();
      this.actors.place();
    }
    this.tasks.placeNow();
  }

  /** A node's agent registered (again): its resources join the pool, and its connection carries its work. */
  registerNode(peer: Peer, m: MessageOf<'node.register'>): void {
    this.nodeTypes.learn(m.nodeType, m.resources);
    this.nodes.register(m, this.o.clock.now());
    this.peers.bindNode(m.nodeId, peer);
    peer.nodeId = m.nodeId;
    // Agents fetch objects only from the object servers the head names, by node id.
    const addresses: Record<string, string> = {};
    for (const n of this.nodes.all()) if (n.state !== 'DEAD' && n.objectAddress) addresses[n.nodeId] = n.objectAddress;
    peer.send({ type: 'node.objects', addresses });
    for (const other of this.peers.nodePeers()) if (other !== peer) other.send({ type: 'node.objects', addresses: { [m.nodeId]: m.objectAddress } });
    this.resourcesChanged();
    if (m.nodeId === this.o.headNodeId) this.o.ownNodeRegistered?.();
  }

  /**
   * What a node's agent still runs and holds, re-reported after it registered again: a restarted head rebuilds its
   * records of that work from it (the node's resources taken again, results routed to their owners); a head that
   * retried the work elsewhere since has the agent stop its stale copy.
   */
  resumeNode(peer: Peer, m: MessageOf<'node.resume'>): void {
    const nodeId = m.nodeId;
    if (peer.nodeId !== nodeId || this.peers.node(nodeId) !== peer) throw new Error(`it resumes node ${nodeId}, which this connection did not register`);
    for (const t of m.tasks) {
      if (this.tasks.resume(t.task, t.attempt, nodeId)) this.objects.subscribe(t.task.owner, t.task.returnId);
      else peer.send({ type: 'task.cancel', taskId: t.task.taskId });
    }
    for (const a of m.actors) if (!this.actors.resume(a, nodeId)) peer.send({ type: 'actor.stop', actorId: a.actor.actorId });
    this.actors.resumed(nodeId);
    const address = this.nodes.get(nodeId)?.objectAddress ?? '';
    for (const o of m.objects) this.objects.set(o.id, { kind: 'stored', nodeId, size: o.size, address }, o.jobId);
    this.resourcesChanged();
  }

  heartbeat(nodeId: string): void {
    this.nodes.heartbeat(nodeId, this.o.clock.now());
  }

  submit(task: TaskSpec): void {
    const misfit = this.placementMisfit(task.placement, task.resources, task.name);
    if (misfit) this.objects.set(task.returnId, misfit, task.jobId);
    else this.tasks.submit(task);
    this.objects.subscribe(task.owner, task.returnId);
  }

  createActor(actor: ActorSpec): void {
    const misfit = this.placementMisfit(actor.placement, actor.place, actor.name);
    if (misfit?.kind === 'error') {
      this.failures.record({ kind: 'placement', what: actor.name, message: misfit.error.message, nodeId: '' });
      return this.peers.toClient(actor.owner, { type: 'warning', client: actor.owner, message: misfit.error.message });
    }
    this.actors.create(actor);
  }

  /** request_resources(): the capacity the autoscaler keeps, kept in the GCS too. */
  requestResources(bundles: ResourceDict[]): void {
    writeBehind(this.requestedTable.update(REQUESTED, () => bundles));
  }

  /**
   * A driver's put. One too large to travel inline goes to the head node's agent, which keeps it in its object
   * store (as it did when it lived in the head's process) and confirms (object.stored): only then is its location
   * set, so nobody fetches it from a store that does not hold it yet. Without the head node's agent connected it
   * stays in the head's object directory, and is lost with the head.
   */
  put(m: MessageOf<'put'>): void {
    const own = this.peers.node(this.o.headNodeId);
    const big = m.value.kind === 'inline' && m.value.data.byteLength > this.config.raylaunch.inline_object_limit;
    if (!big || !own || this.nodes.get(this.o.headNodeId)?.state !== 'ALIVE' || m.value.kind !== 'inline') return this.objects.set(m.id, m.value, m.jobId);
    this.objects.expect(m.id, m.jobId);
    this.storing.set(m.id, m);
    own.send({ type: 'object.store', id: m.id, jobId: m.jobId, data: m.value.data });
  }

  /** The head node's agent holds a put the head handed it: where it is, for everyone who waits for it. */
  objectStored(peer: Peer, m: MessageOf<'object.stored'>): void {
    const put = this.storing.get(m.id);
    if (!put || peer.nodeId !== this.o.headNodeId) return;
    this.storing.delete(m.id);
    this.objects.set(m.id, { kind: 'stored', nodeId: this.o.headNodeId, size: m.size, address: this.nodes.get(this.o.headNodeId)?.objectAddress ?? '' }, put.jobId);
  }

  /** Work asked to run in a placement group none of whose bundles could ever hold it fails now, not never. */
  private placementMisfit(placement: { pgId: string; bundleIndex: number } | undefined, need: Fixed, name: string): ObjectValue | undefined {
    if (!placement || this.groups.fitsBundle(placement.pgId, placement.bundleIndex, need)) return undefined;
    const where = placement.bundleIndex < 0 ? 'any bundle' : `bundle ${placement.bundleIndex}`;
    return {
      kind: 'error',
      error: errorInfo({
        kind: 'placement', name: 'RaylaunchRuntimeError', taskName: name,
        message: `${name} needs ${formatResources(fromFixed(need))}, more than ${where} of placement group ${placement.pgId} holds (or the group does not exist)`,
      }),
    };
  }

  /** A node is gone (its connection closed or its heartbeats stopped): its objects, bundles, actors and tasks with it. */
  nodeLost(nodeId: string): void {
    const node = this.nodes.get(nodeId);
    const expected = node?.state === 'DRAINING'; // the autoscaler terminated it: not a failure
    if (!this.nodes.markDead(nodeId, this.o.clock.now())) return;
    if (nodeId === this.o.headNodeId) {
      // Puts handed to the head node's agent and not confirmed: the head still has them, so they stay inline.
      for (const put of this.storing.values()) this.objects.set(put.id, put.value, put.jobId);
      this.storing.clear();
    }
    if (!expected) this.failures.record({ kind: 'lost', what: `node ${nodeId}`, message: `node ${nodeId} (${node?.nodeType ?? '?'}) died`, nodeId });
    this.objects.markLost(nodeId);
    this.groups.nodeDied(nodeId);
    this.actors.nodeDied(nodeId);
    this.tasks.nodeDied(nodeId);
    this.resourcesChanged();
  }

  /**
   * Marks nodes dead whose heartbeats stopped; notes which nodes are in use; forgets long-dead nodes and the
   * dead actors of ended jobs.
   */
  checkLiveness(): void {
    const now = this.o.clock.now();
    const busy = busyReasons(this.actors.nodesInUse(), this.objects.holders());
    this.nodes.touch(now, (n) => busy(n) !== undefined);
    for (const n of this.nodes.overdue(now, this.config.raylaunch.heartbeat_timeout_s * 1000)) {
      if (n.nodeId === this.o.headNodeId) continue;
      this.nodeLost(n.nodeId);
      this.peers.node(n.nodeId)?.close('heartbeats stopped');
    }
    this.nodes.prune(now, DEAD_KEPT_MS);
    this.actors.prune(now, DEAD_KEPT_MS);
    if (this.recovering && recoveryOver({ now, recoverBy: this.recoverBy, nodesAway: this.nodes.all().filter((n) => n.reconnectBy !== undefined).length })) {
      this.recovering = false;
      this.recoveredNow();
      this.tasks.runRestored();
      this.objects.failUnknown('was lost with the restart of the head (it lived only in the head, or its owner was never re-reported)');
    }
  }

  /** A job ended: its work is cancelled, its objects freed, and every node told. */
  jobEnded(jobId: string): void {
    for (const [id, put] of this.storing) if (put.jobId === jobId) this.storing.delete(id);
    this.actors.jobEnded(jobId);
    this.groups.jobEnded(jobId);
    this.tasks.cancelJob(jobId);
    this.objects.dropJob(jobId);
    this.found.delete(jobId);
    for (const p of this.peers.nodePeers()) p.send({ type: 'job.ended', jobId });
  }

  /**
   * The node's agent says its instance goes soon (a spot interruption notice, two minutes ahead): it drains at
   * once, and its work moves now, while it still runs, as it would on its death: its bundles are placed again, its
   * actors restarted and its tasks queued elsewhere (what ran there is stopped). Its objects stay fetchable until
   * it goes. The autoscaler counts a draining node as going, so it launches a replacement now.
   */
  drainNow(nodeId: string, reason: string): void {
    if (nodeId === this.o.headNodeId || !this.nodes.markDraining(nodeId, reason)) return;
    this.groups.nodeDied(nodeId);
    this.actors.moveOff(nodeId);
    this.tasks.moveOff(nodeId);
    this.resourcesChanged();
  }

  /** The autoscaler chose this node for termination: no new work goes there. */
  drain(nodeId: string): void {
    this.nodes.markDraining(nodeId);
  }

  /**
   * `up` with a changed config whose changes the head can take without a restart: the autoscaler's settings,
   * which the node types follow at once (the caller hands them to the autoscaler). A change that needs a restart
   * is refused (`up` restarts the head for those).
   */
  updateConfig(next: ClusterConfig): { applied: LiveChange[]; error?: string } {
    const { live, restart } = configChanges(this.config, next);
    if (restart.length > 0) return { applied: [], error: `these settings need a restart of the head: ${restart.join(', ')}` };
    if (live.length === 0) return { applied: [] };
    this.config = next;
    this.nodeTypes.reconfigure(next);
    this.o.saveConfig(next);
    return { applied: live };
  }
}
