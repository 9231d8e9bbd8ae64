import type { CloudNode, NodeProvider } from '../../../providers/provider.js';
import type { Clock } from '../../common/clock.js';
import { type GcsStore, type Table, writeBehind } from '../gcs/store.js';
import type { ClusterConfig } from '../../config/types.js';
import type { AutoscalerEvent, AutoscalerView } from '../../common/autoscaler-view.js';
import { batchDemands, type BatchState, nextBatchDue, NO_BATCH } from './batching.js';
import { cachesStopped, decide, decideWorkersOnly, type EventDraft, LAUNCH_HASH_TAG, type LaunchOrder, type TerminationOrder } from './decide.js';
import { Executor } from './executor.js';
import type { ClusterFacts } from './facts.js';
import { bootPollMs, runningIds, startSetups } from './instances.js';
import type { NodeSetup } from './node-setup.js';
import { applyOutcome, type AutoscalerState, type Outcome, resumeIfDue } from './outcomes.js';
import type { PlanOutput } from './plan.js';
import { autoscalerView } from './view.js';
import { transition } from './instance-state.js';

export type { ClusterFacts } from './facts.js';
export { AGENT_RESTART_GRACE_MS, LAUNCH_HASH_TAG } from './decide.js';

export interface AutoscalerDeps {
  provider: NodeProvider;
  config: ClusterConfig;
  clock: Clock;
  facts(): ClusterFacts;
  /** A type's resources as the head knows them (declared, or learned from its first node when declared empty). */
  typeResources?(nodeType: string): Record<string, number>;
  /** No new work goes to a node about to be terminated. */
  drain(nodeId: string): void;
  /** A terminated node's credential admits nobody (the head's credential table and its file); unset where none are minted. */
  revokeNodes?(nodeIds: readonly string[]): void;
  launchHash(nodeType: string): string;
  /** How launched nodes are set up, for providers whose nodes are reached over SSH; process nodes start by themselves. */
  nodeSetup?: NodeSetup;
  /** A terminated node's host keeps running (a host pool): raylaunch is stopped there before it is handed back. */
  stopBeforeTerminate?: boolean;
  /** Where the autoscaler's own state is kept across a head restart (none: it starts empty). */
  store?: GcsStore;
  /** Counts its decisions, failures and ticks (the head's /metrics). */
  metrics?: AutoscalerMetrics;
}

/** capacity and quota: the provider had none; stopped: an auth or config error stopped launching; setup: a node's. */
export type AutoscalerFailure = 'capacity' | 'quota' | 'stopped' | 'transient' | 'setup' | 'tick';

/** What the autoscaler counts as it goes, for the head's metrics (src/head/http/metrics.ts): no prom-client here. */
export interface AutoscalerMetrics {
  launched(nodeType: string, count: number): void;
  terminated(reason: string): void;
  failed(reason: AutoscalerFailure, nodeType: string | undefined): void;
  tick(seconds: number): void;
}

/**
 * What the GCS keeps of the autoscaler: its instance table (launch requests in flight by request id, each node's
 * lifecycle state and the reasons for it), the capacity backoffs and why launching stopped. Written behind at
 * every change, except before a launch is sent: the instances it adds are durable first, so a restarted head
 * always knows a request it may have sent and matches the provider's nodes to it (never launching it twice).
 * The setup step each node is at is not kept (status only).
 */
type DurableAutoscaler = Omit<AutoscalerState, 'setupSteps'>;
const STATE_KEY = 'state';

/** The shortest gap between two demand reads caused by nudges. */
const NUDGE_READ_MS = 20;
const MAX_EVENTS = 200;

/**
 * The autoscaler loop: gather (GCS and listNodes), decide (decide(), pure), act (the executor, the loop's only
 * other part with I/O), every decision and outcome kept as an event with its reason. Ticks every
 * autoscaler_interval_s and also soon after new demand (once it has been pending demand_batch_ms).
 */
export class Autoscaler {
  private state: AutoscalerState = { instances: [], backoff: {}, stopped: undefined, setupSteps: {} };
  private batch: BatchState = NO_BATCH;
  private readonly executor: Executor;
  private ticks = 0;
  private seq = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private nudged: NodeJS.Timeout | undefined;
  private bootPoll: NodeJS.Timeout | undefined;
  private nudgePending = false;
  private lastNudgeRead = -Infinity;
  private again = false;
  private stopping = false;
  readonly events: AutoscalerEvent[] = [];
  private errors = 0;
  private lastPlan: PlanOutput | undefined;
  private lastFacts: ClusterFacts | undefined;
  private lastCloud: CloudNode[] | undefined;

  private readonly table: Table<DurableAutoscaler> | undefined;

  constructor(private readonly d: AutoscalerDeps) {
    this.table = d.store?.table<DurableAutoscaler>('autoscaler');
    const kept = this.table?.get(STATE_KEY);
    if (kept) {
      // A launch still queued may have been sent just before the last head died: it is taken as sent (requested),
      // matched to the provider's nodes by its request id like any other, or given up after the start timeout.
      const instances = kept.instances.map((i) => (i.state === 'queued' ? transition(i, 'requested', d.clock.now(), 'a restarted head takes it as sent') : i));
      this.state = { ...kept, instances, setupSteps: {} };
    }
    this.executor = new Executor({
      provider: d.provider, ...(d.nodeSetup ? { nodeSetup: d.nodeSetup } : {}), stopBeforeTerminate: !!d.stopBeforeTerminate,
      drain: (id) => d.drain(id), revoke: (ids) => d.revokeNodes?.(ids), launchTags: (t) => ({ [LAUNCH_HASH_TAG]: d.launchHash(t) }),
      maxConcurrentLaunches: () => this.d.config.raylaunch.max_concurrent_launches,
      cacheStoppedNodes: () => cachesStopped(this.d.config),
      report: (o) => this.apply(o),
    });
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.d.config.raylaunch.autoscaler_interval_s * 1000);
    void this.tick();
  }

  /** `up` changed settings the loop reads on every tick (max_workers, idle_timeout_minutes, …): the next tick uses them. */
  reconfigure(config: ClusterConfig): void {
    this.d.config = config;
  }

  stop(): void {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    if (this.nudged) clearTimeout(this.nudged);
    if (this.bootPoll) clearTimeout(this.bootPoll);
  }

  /**
   * New demand may have appeared: look again as soon as it has waited demand_batch_ms, not at the next full tick.
   * The demand is read on a later turn of the event loop, after the message that nudged has been applied, and at
   * most every NUDGE_READ_MS: a job submitting thousands of tasks a second would otherwise gather facts per frame.
   */
  nudge(): void {
    if (this.nudged || this.nudgePending) return;
    this.nudgePending = true;
    const read = () => {
      this.nudgePending = false;
      const now = this.d.clock.now();
      this.lastNudgeRead = now;
      // The batching clock starts when demand appears.
      this.batch = batchDemands(this.batch, this.d.facts().demands, now, this.d.config.raylaunch.demand_batch_ms, true).state;
      this.armForBatch();
    };
    const wait = this.lastNudgeRead + NUDGE_READ_MS - this.d.clock.now();
    if (wait > 0) setTimeout(read, wait);
    else setImmediate(read);
  }

  /** A tick for when the earliest demand still inside its batch window comes out of it. */
  private armForBatch(): void {
    if (this.nudged || this.stopping) return;
    const wait = nextBatchDue(this.batch, this.d.clock.now(), this.d.config.raylaunch.demand_batch_ms);
    if (wait === undefined) return;
    this.nudged = setTimeout(() => {
      this.nudged = undefined;
      void this.tick();
    }, wait + 5);
  }

  /** A tick soon while a node this head launched boots, so its setup starts once a listing shows it running. */
  private armForBoot(): void {
    if (this.bootPoll || this.stopping || !this.d.nodeSetup) return;
    const wait = bootPollMs(this.state.instances, this.d.config.raylaunch.autoscaler_interval_s * 1000);
    if (wait === undefined) return;
    this.bootPoll = setTimeout(() => {
      this.bootPoll = undefined;
      void this.tick();
    }, wait);
  }

  private event(e: EventDraft): void {
    this.events.push({ ...e, at: this.d.clock.now(), seq: this.seq++ });
    if (this.events.length > MAX_EVENTS) this.events.shift();
  }

  /** The state to the store; the promise resolves once it is durable. */
  private persist(): Promise<void> {
    if (!this.table) return Promise.resolve();
    const { setupSteps: _s, ...kept } = this.state;
    const p = this.table.update(STATE_KEY, () => JSON.parse(JSON.stringify(kept)) as DurableAutoscaler);
    writeBehind(p);
    return p;
  }

  /** An outcome of the executor: folded into the state the next tick decides on, its events kept. */
  private apply(o: Outcome): void {
    this.count(o);
    const { state, events } = applyOutcome(this.state, o, this.d.clock.now());
    this.state = state;
    void this.persist();
    for (const e of events) this.event(e);
  }

  /** A failed launch or setup, for the metrics. */
  private count(o: Outcome): void {
    const m = this.d.metrics;
    if (!m) return;
    if (o.kind === 'launch-failed') {
      const f = o.failure;
      m.failed(f.class === 'capacity' ? f.reason : f.class === 'stop' ? 'stopped' : 'transient', o.nodeType);
    }
    if (o.kind === 'setup-failed') m.failed('setup', this.state.instances.findLast((i) => i.nodeId === o.nodeId)?.nodeType);
  }

  async tick(): Promise<void> {
    if (this.running) {
      this.again = true; // a nudge came due mid-tick: look once more right after
      return;
    }
    this.running = true;
    const started = this.d.clock.now();
    try {
      await this.once();
    } catch (e) {
      this.errors += 1;
      this.d.metrics?.failed('tick', undefined);
      this.event({ kind: 'error', message: `tick failed (${this.errors} so far): ${(e as Error).message}` });
    } finally {
      this.running = false;
      this.d.metrics?.tick((this.d.clock.now() - started) / 1000);
    }
    this.armForBatch();
    this.armForBoot();
    if (this.again && !this.stopping) {
      this.again = false;
      await this.tick();
    }
  }

  private async once(): Promise<void> {
    const c = this.d.config;
    const now = this.d.clock.now();
    // Gather.
    const cloud = await this.d.provider.listNodes();
    this.lastCloud = cloud;
    // Free resources and pending demand come from one synchronous read of the head's tables: a node that has just
    // taken its tasks never still has them counted as demand too (Ray v1 reads the two at different times and
    // launches extra nodes as nodes register, ray#38189). The listing comes first, and no launch runs between
    // the two, so a node registered by then is listed already. test/unit/head/autoscaler/scale-up.test.ts.
    const facts = this.d.facts();
    this.lastFacts = facts;
    const types = Object.keys(c.available_node_types);
    const typeResources: Record<string, Record<string, number>> = {};
    for (const t of types) {
      const r = this.d.typeResources?.(t);
      if (r) typeResources[t] = r;
    }
    // Decide: from here to the state written back nothing awaits, so no outcome can come in between.
    this.state = resumeIfDue(this.state, now);
    const d = decide({
      config: c, facts, cloud, instances: this.state.instances, backoff: this.state.backoff, batch: this.batch, stopped: this.state.stopped !== undefined,
      typeResources, launchHash: Object.fromEntries(types.map((t) => [t, this.d.launchHash(t)])), setsUpNodes: this.d.nodeSetup !== undefined,
      tick: this.ticks++, now,
    });
    const current = new Set(d.instances.filter((i) => i.state !== 'terminated').map((i) => i.nodeId));
    const setupSteps = Object.fromEntries(Object.entries(this.state.setupSteps).filter(([id]) => current.has(id)));
    this.state = { ...this.state, instances: d.instances, setupSteps };
    this.batch = d.batch;
    this.lastPlan = d.plan;
    for (const e of d.events) this.event(e);
    this.counted(d.launches, d.terminations);
    // Act: what this tick decided is durable before any launch is sent (see DurableAutoscaler).
    if (d.launches.length > 0) await this.persist().catch(() => undefined);
    else void this.persist();
    const listed = new Map(cloud.map((n) => [n.id, n]));
    this.setUp(d.setups, listed);
    await this.executor.terminate(d.terminations, listed);
    const after = await this.executor.launch(d.launches);
    if (after) this.lastCloud = after; // status shows the new nodes now, not after the next tick
    if (after && this.d.nodeSetup) {
      // The nodes just launched start their setup now rather than at the next tick.
      const s = startSetups(this.state.instances, runningIds(after), this.d.clock.now());
      this.state = { ...this.state, instances: s.instances };
      void this.persist();
      this.setUp(s.nodeIds, new Map(after.map((n) => [n.id, n])));
    }
  }

  private counted(launches: readonly LaunchOrder[], terminations: readonly TerminationOrder[]): void {
    for (const l of launches) this.d.metrics?.launched(l.nodeType, l.count);
    for (const t of terminations) this.d.metrics?.terminated(t.reason);
  }

  private setUp(nodeIds: readonly string[], nodes: ReadonlyMap<string, CloudNode>): void {
    this.executor.setUp(nodeIds.flatMap((id) => nodes.get(id) ?? []));
  }

  /**
   * `down --workers-only`: terminates every worker, or with keepMinWorkers only those above each type's
   * min_workers (idle and newest first). Without keepMinWorkers the next tick brings min_workers back, as in Ray.
   */
  async terminateWorkers(keepMinWorkers: boolean): Promise<string[]> {
    const now = this.d.clock.now();
    const facts = this.d.facts();
    const cloud = await this.d.provider.listNodes();
    const d = decideWorkersOnly({ config: this.d.config, facts, cloud, instances: this.state.instances, keepMinWorkers, now });
    this.state = { ...this.state, instances: d.instances };
    void this.persist();
    for (const e of d.events) this.event(e);
    this.counted([], d.terminations);
    await this.executor.terminate(d.terminations, new Map(cloud.map((n) => [n.id, n])));
    return d.terminations.map((t) => t.id);
  }

  /** For status: recent events, why demands are pending and why idle nodes stay. */
  view(): AutoscalerView {
    return autoscalerView({
      config: this.d.config, facts: this.lastFacts, plan: this.lastPlan, cloud: this.lastCloud, backoff: this.state.backoff,
      setupSteps: this.state.setupSteps, events: this.events, stopped: this.state.stopped, errors: this.errors, now: this.d.clock.now(),
    });
  }
}
