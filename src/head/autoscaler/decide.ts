/**
 * The autoscaler's whole decision for one tick, as one pure function: which demands are due (batching), what the
 * instance table becomes (reconcile), what plan() wants, what the launch budget allows, which nodes go and why,
 * which nodes start their setup. The loop gathers its inputs and the executor acts on its output; nothing here
 * does I/O or reads a clock.
 */
import type { CloudNode } from '../../common/cloud-node.js';
import type { ClusterConfig } from '../../config/types.js';
import type { AutoscalerEventDetail } from '../../common/autoscaler-view.js';
import type { Backoff } from './backoff.js';
import { batchDemands, type BatchState } from './batching.js';
import type { ClusterFacts } from './facts.js';
import type { Instance } from './instance-state.js';
import { isLeaving, markDrained, markTerminating, runningIds, startSetups } from './instances.js';
import { plan, type PlanNode, type PlanOutput, type Res } from './plan.js';
import { reconcile } from './reconcile.js';
import { drainText, launchReason, terminationWhy } from './why.js';

/** The tag a worker carries with the launch hash of its type's config when it was launched. */
export const LAUNCH_HASH_TAG = 'raylaunch-launch-hash';
/** How long a listed node may be without a live agent before it is replaced (the supervisor's first restarts take 1–4 s). */
export const AGENT_RESTART_GRACE_MS = 15_000;

/** An event as decided: the loop stamps when and its sequence number. */
export type EventDraft = AutoscalerEventDetail & { message: string };

export interface DecideInput {
  config: ClusterConfig;
  facts: ClusterFacts;
  /** What the provider listed this tick. */
  cloud: readonly CloudNode[];
  instances: readonly Instance[];
  backoff: Backoff;
  batch: BatchState;
  /** Launching has stopped for good (an auth or config error the user must fix). */
  stopped: boolean;
  /** Each type's resources as the head knows them (declared, or learned from its first node when declared empty). */
  typeResources: Readonly<Record<string, Res>>;
  /** Each type's current launch hash (nodes with another one are outdated). */
  launchHash: Readonly<Record<string, string>>;
  /** The provider's nodes are reached over SSH and set up by the autoscaler once allocated. */
  setsUpNodes: boolean;
  /** Distinguishes this tick's launch request ids from every other tick's. */
  tick: number;
  now: number;
}

export interface LaunchOrder { nodeType: string; count: number; requestId: string; reason: string }
export interface TerminationOrder { id: string; reason: string }

export interface Decision {
  /** The instance table after this tick's decisions (launches queued, terminations and setups marked). */
  instances: Instance[];
  batch: BatchState;
  plan: PlanOutput;
  launches: LaunchOrder[];
  terminations: TerminationOrder[];
  /** Nodes whose setup starts now. */
  setups: string[];
  events: EventDraft[];
}

/** provider.cache_stopped_nodes, on the providers that have it. */
export const cachesStopped = (c: ClusterConfig): boolean => 'cache_stopped_nodes' in c.provider && c.provider.cache_stopped_nodes === true;

/** Instances that count against raylaunch.max_concurrent_launches: launched and not yet running. */
const IN_FLIGHT = new Set(['queued', 'requested', 'allocated', 'setting-up']);

export function decide(input: DecideInput): Decision {
  const { config: c, facts, now } = input;
  const { state: batch, due } = batchDemands(input.batch, facts.demands, now, c.raylaunch.demand_batch_ms, false);
  const registered = new Set(facts.nodes.filter((n) => n.alive).map((n) => n.nodeId));
  // A node whose agent died but that the provider still lists gets a moment: on nodes reached over SSH the
  // supervisor restarts the agent within seconds, and it registers again under the same id.
  const dead = new Set(facts.nodes.filter((n) => !n.alive && now - (n.diedAt ?? 0) >= AGENT_RESTART_GRACE_MS).map((n) => n.nodeId));
  // With cache_stopped_nodes a stopped worker is kept for reuse, not a node: it is not adopted, and a node that
  // stops is gone for the instance table (a later launch that starts it again makes a new instance of it).
  const seen = cachesStopped(c) ? input.cloud.filter((n) => n.status !== 'stopped') : input.cloud;
  const rec = reconcile({ instances: input.instances, cloud: seen, registered, dead, now, startTimeoutMs: c.raylaunch.node_start_timeout_s * 1000 });
  // A node the head drains on its own (a spot interruption notice) counts as going from now on: isLeaving() keeps
  // it out of plan(), which replaces what it held at once, before the node goes.
  const drainedNow = markDrained(rec.instances, new Map(facts.nodes.flatMap((n) => (n.drainReason !== undefined ? [[n.nodeId, n.drainReason]] : []))), now);
  let instances = drainedNow.instances;

  const byId = new Map(facts.nodes.map((n) => [n.nodeId, n]));
  const nodes: PlanNode[] = input.cloud.filter((n) => n.status !== 'stopped' && !rec.neverRegistered.includes(n.id) && !isLeaving(instances, n.id)).map((n) => {
    const f = byId.get(n.id);
    const live = f?.alive ? f : undefined;
    return {
      id: n.id, nodeType: n.nodeType, kind: n.kind, ...(live ? { total: live.total, available: live.available, lastUsedAt: live.lastUsedAt, registeredAt: live.registeredAt } : {}),
      ...(n.tags[LAUNCH_HASH_TAG] ? { launchHash: n.tags[LAUNCH_HASH_TAG] } : {}),
    };
  });
  const launching: Record<string, number> = {};
  for (const i of instances) if (i.state === 'requested' || i.state === 'queued') launching[i.nodeType] = (launching[i.nodeType] ?? 0) + 1;
  const types = Object.entries(c.available_node_types);
  const resourcesOf = (name: string, declared: Res) => input.typeResources[name] ?? declared;
  // Production runs plan() in 'improved' mode: the same decisions as Ray's resource demand scheduler except
  // where Ray is wrong on purpose-built inputs (SPREAD groups packed, a backed-off type still launched for
  // min_workers, max_workers overshot by raised min_workers; README "Ray's decisions, tested"). 'ray' mode is
  // the reference the parity tests hold the shared core to.
  const out = plan({
    nodeTypes: types.map(([name, t]) => ({ name, resources: resourcesOf(name, t.resources), minWorkers: t.min_workers, maxWorkers: t.max_workers })),
    headNodeType: c.head_node_type, maxWorkers: c.max_workers, upscalingSpeed: c.upscaling_speed, nodes, launching,
    demands: due, placementGroups: facts.placementGroups, requestedBundles: facts.requested,
    backoffUntil: Object.fromEntries(Object.entries(input.backoff).map(([t, b]) => [t, b.until])),
    idleTimeoutMs: Object.fromEntries(types.map(([name, t]) => [name, (t.idle_timeout_s ?? c.idle_timeout_minutes * 60) * 1000])),
    currentLaunchHash: Object.fromEntries(types.map(([name]) => [name, input.launchHash[name] ?? ''])),
    now, mode: 'improved',
  });

  // Terminations: nodes that never registered (or whose agent died), plan's choices, and failed setups.
  const failedSetups = instances.filter((i) => i.state === 'setup-failed' && i.nodeId !== undefined).map((i) => ({ id: i.nodeId as string, reason: 'setup_failed' }));
  // A drained node whose agent is gone, or whose instance was stopped (a spot 'stop' interruption), is not left behind.
  const stoppedIds = new Set(input.cloud.filter((n) => n.status === 'stopped').map((n) => n.id));
  const drainedGone = instances.filter((i) => i.state === 'draining' && i.nodeId !== undefined && (dead.has(i.nodeId) || stoppedIds.has(i.nodeId)))
    .map((i) => ({ id: i.nodeId as string, reason: 'drained_node_gone' }));
  const terminations: TerminationOrder[] = [...rec.neverRegistered.map((id) => ({ id, reason: 'never_registered' })), ...out.terminate, ...failedSetups, ...drainedGone];
  instances = markTerminating(instances, terminations, now);
  const events: EventDraft[] = drainedNow.drained.map((d) => ({ kind: 'drain', nodeId: d.nodeId, reason: d.reason, message: drainText(d.nodeId, d.reason) }));
  events.push(...terminations.map((t) => {
    const f = byId.get(t.id);
    const message = `terminate ${t.id}: ${terminationWhy(t.reason, f ? now - f.lastUsedAt : undefined)}`;
    return { kind: 'terminate' as const, nodeId: t.id, reason: t.reason, message };
  }));

  // Launches, within raylaunch.max_concurrent_launches nodes between launch and registration.
  const launches: LaunchOrder[] = [];
  if (!input.stopped) {
    let budget = c.raylaunch.max_concurrent_launches - instances.filter((i) => IN_FLIGHT.has(i.state)).length;
    for (const [nodeType, wanted] of Object.entries(out.launch)) {
      const count = Math.min(wanted, budget);
      if (count <= 0) continue;
      budget -= count;
      const t = c.available_node_types[nodeType];
      const have = nodes.filter((n) => n.kind === 'worker' && n.nodeType === nodeType).length + (launching[nodeType] ?? 0);
      const reason = launchReason({ resources: resourcesOf(nodeType, t?.resources ?? {}), facts, belowMin: have < Math.min(t?.min_workers ?? 0, t?.max_workers ?? 0) });
      const requestId = `as-${nodeType.replace(/[^\w-]/g, '-')}-${now.toString(36)}-${input.tick}`;
      launches.push({ nodeType, count, requestId, reason });
      events.push({ kind: 'launch', nodeType, count, message: `launch ${count} × ${nodeType} for ${reason}` });
      for (let k = 0; k < count; k++) {
        instances.push({ id: `${requestId}#${k}`, nodeType, requestId, nodeId: undefined, state: 'queued', since: now, history: [{ state: 'queued', at: now, reason }] });
      }
    }
  }

  const setups = input.setsUpNodes ? startSetups(instances, runningIds(input.cloud), now) : { instances, nodeIds: [] };
  return { instances: setups.instances, batch, plan: out, launches, terminations, setups: setups.nodeIds, events };
}

/**
 * `down --workers-only`: every worker goes, or with keepMinWorkers only those above each type's min_workers
 * (idle and newest first). Without keepMinWorkers the next tick brings min_workers back, as in Ray.
 */
export function decideWorkersOnly(o: { config: ClusterConfig; facts: ClusterFacts; cloud: readonly CloudNode[]; instances: readonly Instance[]; keepMinWorkers: boolean; now: number }): { instances: Instance[]; terminations: TerminationOrder[]; events: EventDraft[] } {
  const workers = o.cloud.filter((n) => n.kind === 'worker' && !isLeaving(o.instances, n.id));
  const used = new Map(o.facts.nodes.map((n) => [n.nodeId, n]));
  const terminations: TerminationOrder[] = [];
  for (const [type, t] of Object.entries(o.config.available_node_types)) {
    const mine = workers.filter((n) => n.nodeType === type)
      .sort((a, b) => Number(!!used.get(a.id)?.busy) - Number(!!used.get(b.id)?.busy) || (used.get(b.id)?.registeredAt ?? 0) - (used.get(a.id)?.registeredAt ?? 0));
    const keep = o.keepMinWorkers ? Math.min(t.min_workers, mine.length) : 0;
    for (const n of mine.slice(0, mine.length - keep)) terminations.push({ id: n.id, reason: 'down_workers_only' });
  }
  const events: EventDraft[] = terminations.map((t) => ({ kind: 'terminate', nodeId: t.id, reason: t.reason, message: `terminate ${t.id}: ${terminationWhy(t.reason, undefined)}` }));
  return { instances: markTerminating(o.instances, terminations, o.now), terminations, events };
}
