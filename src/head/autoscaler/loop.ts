import { CapacityError, ProviderAuthError, ProviderConfigError } from '../../../providers/errors.js';
import { NODE_STATUS_TAG, type CloudNode, type NodeProvider } from '../../../providers/provider.js';
import type { Clock } from '../../common/clock.js';
import { formatResources } from '../../common/resources.js';
import type { ClusterConfig } from '../../config/types.js';
import type { AutoscalerEvent, AutoscalerView } from '../../protocol/messages.js';
import { type Instance, transition } from './instance-state.js';
import { type Demand, plan, type PlanNode, type PlanOutput } from './plan.js';
import { reconcile } from './reconcile.js';
import { shapeId } from './resources.js';

/** What the head knows, gathered once per tick. */
export interface ClusterFacts {
  /** Registered nodes: resources, liveness and last use. */
  nodes: {
    nodeId: string; nodeType: string; kind: 'head' | 'worker'; alive: boolean; total: Record<string, number>; available: Record<string, number>;
    lastUsedAt: number; registeredAt: number;
    /** When it was marked dead (set only for dead nodes). */
    diedAt?: number;
    /** What keeps it from being idle now, if anything: running work, an actor, objects a job may need. */
    busy?: string;
  }[];
  demands: Demand[];
  placementGroups: { id: string; strategy: 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD'; bundles: Demand[] }[];
  requested: Demand[];
}

export interface AutoscalerDeps {
  provider: NodeProvider;
  config: ClusterConfig;
  clock: Clock;
  facts(): ClusterFacts;
  /** A type's resources as the head knows them (declared, or learned from its first node when declared empty). */
  typeResources?(nodeType: string): Record<string, number>;
  /** No new work goes to a node about to be terminated. */
  drain(nodeId: string): void;
  launchHash(nodeType: string): string;
}

const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 5 * 60_000;
/** The shortest gap between two demand reads caused by nudges. */
const NUDGE_READ_MS = 20;
export const LAUNCH_HASH_TAG = 'raylaunch-launch-hash';
/** How long a listed node may be without a live agent before it is replaced (the supervisor's first restarts take 1–4 s). */
export const AGENT_RESTART_GRACE_MS = 15_000;

/**
 * The autoscaler loop, the only part of the autoscaler with I/O: gather (GCS and listNodes), decide (reconcile,
 * plan), act (launch, terminate), every decision kept as an event with its reason. Ticks every
 * autoscaler_interval_s and also soon after new demand (once it has been pending demand_batch_ms).
 */
export class Autoscaler {
  private instances: Instance[] = [];
  private readonly backoff = new Map<string, { until: number; failures: number }>();
  private readonly pendingSince = new Map<string, number>();
  /** Demand shapes a nudge saw that no tick has looked at yet (with a 0 ms window they are due at once). */
  private readonly unseen = new Set<string>();
  private seq = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  private nudged: NodeJS.Timeout | undefined;
  private nudgePending = false;
  private lastNudgeRead = -Infinity;
  private again = false;
  private stopping = false;
  readonly events: AutoscalerEvent[] = [];
  private stopped: string | undefined;
  private errors = 0;
  private lastPlan: PlanOutput | undefined;
  private lastFacts: ClusterFacts | undefined;
  private lastCloud: CloudNode[] | undefined;

  constructor(private readonly d: AutoscalerDeps) {}

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
      this.lastNudgeRead = performance.now();
      this.settled(this.d.facts().demands, this.d.clock.now(), true); // the batching clock starts when demand appears
      this.armForBatch();
    };
    const wait = this.lastNudgeRead + NUDGE_READ_MS - performance.now();
    if (wait > 0) setTimeout(read, wait);
    else setImmediate(read);
  }

  /** A tick for when the earliest demand still inside its batch window comes out of it. */
  private armForBatch(): void {
    if (this.nudged || this.stopping) return;
    const now = this.d.clock.now();
    const batch = this.d.config.raylaunch.demand_batch_ms;
    const due: number[] = [];
    for (const [id, since] of this.pendingSince) {
      const left = since + batch - now;
      if (left > 0 || this.unseen.has(id)) due.push(Math.max(0, left)); // the rest a tick has already acted on
    }
    if (due.length === 0) return;
    this.nudged = setTimeout(() => {
      this.nudged = undefined;
      void this.tick();
    }, Math.min(...due) + 5);
  }

  /** An event from outside the loop (a node's setup failed on the provider's side). */
  note(kind: AutoscalerEvent['kind'], message: string): void {
    this.event(kind, message);
  }

  private event(kind: AutoscalerEvent['kind'], message: string): void {
    this.events.push({ at: this.d.clock.now(), seq: this.seq++, kind, message });
    if (this.events.length > 200) this.events.shift();
  }

  /** Only demands pending for demand_batch_ms count: a burst that the cluster absorbs never launches anything. */
  private settled(demands: Demand[], now: number, byNudge = false): Demand[] {
    if (!byNudge) this.unseen.clear();
    const seen = new Set<string>();
    const out: Demand[] = [];
    for (const d of demands) {
      const id = shapeId(d.resources);
      seen.add(id);
      const since = this.pendingSince.get(id) ?? now;
      if (byNudge && !this.pendingSince.has(id)) this.unseen.add(id);
      this.pendingSince.set(id, since);
      if (now - since >= this.d.config.raylaunch.demand_batch_ms) out.push(d);
    }
    for (const id of [...this.pendingSince.keys()]) if (!seen.has(id)) this.pendingSince.delete(id);
    return out;
  }

  async tick(): Promise<void> {
    if (this.running) {
      this.again = true; // a nudge came due mid-tick: look once more right after
      return;
    }
    this.running = true;
    try {
      await this.once();
    } catch (e) {
      this.errors += 1;
      this.event('error', `tick failed (${this.errors} so far): ${(e as Error).message}`);
    } finally {
      this.running = false;
    }
    this.armForBatch();
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
    const registered = new Set(facts.nodes.filter((n) => n.alive).map((n) => n.nodeId));
    // A node whose agent died but that the provider still lists gets a moment: on nodes reached over SSH the
    // supervisor restarts the agent within seconds, and it registers again under the same id.
    const dead = new Set(facts.nodes.filter((n) => !n.alive && now - (n.diedAt ?? 0) >= AGENT_RESTART_GRACE_MS).map((n) => n.nodeId));
    // Decide.
    const rec = reconcile({ instances: this.instances, cloud, registered, dead, now, startTimeoutMs: c.raylaunch.node_start_timeout_s * 1000 });
    this.instances = rec.instances;
    const facts1 = new Map(facts.nodes.map((n) => [n.nodeId, n]));
    const nodes: PlanNode[] = cloud.filter((n) => n.status !== 'stopped' && !rec.neverRegistered.includes(n.id) && !this.isLeaving(n.id)).map((n) => {
      const f = facts1.get(n.id);
      const live = f?.alive ? f : undefined;
      return {
        id: n.id, nodeType: n.nodeType, kind: n.kind, ...(live ? { total: live.total, available: live.available, lastUsedAt: live.lastUsedAt, registeredAt: live.registeredAt } : {}),
        ...(n.tags[LAUNCH_HASH_TAG] ? { launchHash: n.tags[LAUNCH_HASH_TAG] } : {}),
      };
    });
    const launching: Record<string, number> = {};
    for (const i of this.instances) if (i.state === 'requested' || i.state === 'queued') launching[i.nodeType] = (launching[i.nodeType] ?? 0) + 1;
    const types = Object.entries(c.available_node_types);
    const out = plan({
      nodeTypes: types.map(([name, t]) => ({ name, resources: this.d.typeResources?.(name) ?? t.resources, minWorkers: t.min_workers, maxWorkers: t.max_workers })),
      headNodeType: c.head_node_type, maxWorkers: c.max_workers, upscalingSpeed: c.upscaling_speed, nodes, launching,
      demands: this.settled(facts.demands, now),
      placementGroups: facts.placementGroups,
      requestedBundles: facts.requested,
      backoffUntil: Object.fromEntries([...this.backoff].map(([t, b]) => [t, b.until])),
      idleTimeoutMs: Object.fromEntries(types.map(([name, t]) => [name, (t.idle_timeout_s ?? c.idle_timeout_minutes * 60) * 1000])),
      currentLaunchHash: Object.fromEntries(types.map(([name]) => [name, this.d.launchHash(name)])),
      now, mode: 'improved',
    });
    this.lastPlan = out;
    // Act.
    const gone = [...rec.neverRegistered.map((id) => ({ id, reason: 'never_registered' as const })), ...out.terminate];
    if (gone.length > 0) await this.terminate(gone, facts, now);
    if (this.stopped) return;
    const inFlight = this.instances.filter((i) => i.state === 'requested' || i.state === 'allocated' || i.state === 'setting-up').length;
    let budget = c.raylaunch.max_concurrent_launches - inFlight;
    for (const [nodeType, wanted] of Object.entries(out.launch)) {
      const count = Math.min(wanted, budget);
      if (count <= 0) continue;
      budget -= count;
      await this.launch(nodeType, count, facts, now);
    }
  }

  /**
   * `down --workers-only`: terminates every worker, or with keepMinWorkers only those above each type's
   * min_workers (idle and newest first). Without keepMinWorkers the next tick brings min_workers back, as in Ray.
   */
  async terminateWorkers(keepMinWorkers: boolean): Promise<string[]> {
    const now = this.d.clock.now();
    const facts = this.d.facts();
    const cloud = (await this.d.provider.listNodes()).filter((n) => n.kind === 'worker' && !this.isLeaving(n.id));
    const used = new Map(facts.nodes.map((n) => [n.nodeId, n]));
    const gone: { id: string; reason: string }[] = [];
    for (const [type, t] of Object.entries(this.d.config.available_node_types)) {
      const mine = cloud.filter((n) => n.nodeType === type)
        .sort((a, b) => Number(!!used.get(a.id)?.busy) - Number(!!used.get(b.id)?.busy) || (used.get(b.id)?.registeredAt ?? 0) - (used.get(a.id)?.registeredAt ?? 0));
      const keep = keepMinWorkers ? Math.min(t.min_workers, mine.length) : 0;
      for (const n of mine.slice(0, mine.length - keep)) gone.push({ id: n.id, reason: 'down_workers_only' });
    }
    if (gone.length > 0) await this.terminate(gone, facts, now);
    return gone.map((g) => g.id);
  }

  /** Whether the node's latest instance is on its way out (host pools reuse a node id for a later instance). */
  private isLeaving(id: string): boolean {
    const latest = this.instances.findLast((i) => i.nodeId === id);
    return latest !== undefined && (latest.state === 'draining' || latest.state === 'terminating' || latest.state === 'terminated');
  }

  private async terminate(gone: { id: string; reason: string }[], facts: ClusterFacts, now: number): Promise<void> {
    const idleFor = (id: string) => {
      const f = facts.nodes.find((n) => n.nodeId === id);
      return f ? ` ${Math.round((now - f.lastUsedAt) / 1000)} s` : '';
    };
    for (const g of gone) {
      this.d.drain(g.id);
      this.instances = this.instances.map((i) => (i.nodeId === g.id && (i.state === 'running' || i.state === 'allocated')
        ? transition(i.state === 'running' ? transition(i, 'draining', now, g.reason) : i, 'terminating', now, g.reason) : i));
      this.event('terminate', `terminate ${g.id}: ${g.reason === 'idle' ? `idle${idleFor(g.id)}` : g.reason.replace(/_/g, ' ')}`);
    }
    await this.d.provider.terminate(gone.map((g) => g.id));
  }

  private async launch(nodeType: string, count: number, facts: ClusterFacts, now: number): Promise<void> {
    const requestId = `as-${nodeType.replace(/[^\w-]/g, '-')}-${now.toString(36)}-${this.seq}`;
    const fresh: Instance[] = Array.from({ length: count }, (_, k) => ({
      id: `${requestId}#${k}`, nodeType, requestId, nodeId: undefined, state: 'requested', since: now,
      history: [{ state: 'requested', at: now, reason: 'launch sent' }],
    }));
    this.event('launch', `launch ${count} × ${nodeType} for ${this.why(facts)}`);
    try {
      await this.d.provider.launch({ requestId, nodeType, kind: 'worker', count, tags: { [LAUNCH_HASH_TAG]: this.d.launchHash(nodeType) } });
      this.backoff.delete(nodeType);
      // Learn the new nodes' ids now: one that dies before the next tick is then known to be gone (else its
      // request would count as launching until the start timeout, and nothing would replace it).
      const listed = (await this.d.provider.listNodes()).filter((n) => n.requestId === requestId);
      this.instances.push(...fresh.map((i, k) => {
        const node = listed[k];
        return node ? { ...transition(i, 'allocated', now, 'the provider lists it'), id: node.id, nodeId: node.id } : i;
      }));
    } catch (e) {
      this.instances.push(...fresh.map((i) => transition(transition(i, 'allocation-failed', now, (e as Error).message), 'terminated', now, 'recorded')));
      if (e instanceof CapacityError) {
        const failures = (this.backoff.get(nodeType)?.failures ?? 0) + 1;
        const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failures - 1) * (e.reason === 'quota' ? 4 : 1));
        this.backoff.set(nodeType, { until: now + wait, failures });
        this.event('backoff', `${nodeType}: ${e.message}; not launched again for ${Math.round(wait / 1000)} s (other types that fit are tried)`);
      } else if (e instanceof ProviderAuthError || e instanceof ProviderConfigError) {
        this.stopped = `${e.message}${e.hint ? ` (${e.hint})` : ''}`;
        this.event('error', `launching stopped: ${this.stopped}`);
      } else {
        this.event('error', `launch of ${count} × ${nodeType} failed: ${(e as Error).message}`);
      }
    }
  }

  /** The demands a launch answers, for its event: "12 pending {GPU: 1}". */
  private why(facts: ClusterFacts): string {
    const parts = [
      ...facts.demands.slice(0, 3).map((d) => `${d.count} pending ${formatResources(d.resources)}`),
      ...(facts.placementGroups.length > 0 ? [`${facts.placementGroups.length} placement group(s)`] : []),
      ...(facts.requested.length > 0 ? ['request_resources'] : []),
    ];
    return parts.length > 0 ? parts.join(', ') : 'min_workers';
  }

  /** For status: recent events, why demands are pending and why idle nodes stay. */
  view(): AutoscalerView {
    const c = this.d.config;
    const facts = this.lastFacts;
    const now = this.d.clock.now();
    const pending = (this.lastPlan?.unfulfilled ?? []).map((d) => {
      const infeasible = this.lastPlan?.infeasible.some((x) => shapeId(x.resources) === shapeId(d.resources));
      const backedOff = [...this.backoff].filter(([, b]) => b.until > now).map(([t]) => t);
      const why = infeasible ? 'no node type offers it'
        : backedOff.length > 0 ? `node types backed off after capacity errors: ${backedOff.join(', ')}`
          : 'the cluster is at max_workers (or each fitting type at its max_workers)';
      return { resources: d.resources, count: d.count, why };
    });
    const kept = (facts?.nodes ?? []).filter((n) => n.alive && n.kind === 'worker').map((n) => {
      const t = c.available_node_types[n.nodeType];
      const idleMs = now - n.lastUsedAt;
      const timeout = ((t?.idle_timeout_s ?? c.idle_timeout_minutes * 60) * 1000);
      const same = facts?.nodes.filter((x) => x.alive && x.kind === 'worker' && x.nodeType === n.nodeType).length ?? 0;
      const why = n.busy ? `busy: ${n.busy}` : same <= (t?.min_workers ?? 0) ? `idle ${Math.round(idleMs / 1000)} s, kept for min_workers (${t?.min_workers ?? 0})`
        : `idle ${Math.round(idleMs / 1000)} s of ${Math.round(timeout / 1000)} s`;
      return { nodeId: n.nodeId, why };
    });
    const registered = new Set((facts?.nodes ?? []).filter((n) => n.alive).map((n) => n.nodeId));
    const launching = (this.lastCloud ?? []).filter((n) => n.kind === 'worker' && !registered.has(n.id))
      .map((n) => ({ nodeId: n.id, nodeType: n.nodeType, status: n.tags[NODE_STATUS_TAG] ?? n.status }));
    return { events: this.events.slice(-50), pending, nodes: kept, launching, ...(this.stopped ? { stopped: this.stopped } : {}), errors: this.errors };
  }
}
