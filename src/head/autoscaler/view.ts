/**
 * What `status` shows of the autoscaler, pure: recent events, why each pending demand waits, why each idle
 * worker stays, and the workers launched but not registered yet with the setup step they are at.
 */
import type { CloudNode } from '../../common/cloud-node.js';
import type { ClusterConfig } from '../../config/types.js';
import type { AutoscalerEvent, AutoscalerView } from '../../common/autoscaler-view.js';
import { type Backoff, backedOff } from './backoff.js';
import type { ClusterFacts } from './facts.js';
import type { PlanOutput } from './plan.js';
import { shapeId } from './resources.js';

export interface ViewInput {
  config: ClusterConfig;
  facts: ClusterFacts | undefined;
  plan: PlanOutput | undefined;
  cloud: readonly CloudNode[] | undefined;
  backoff: Backoff;
  setupSteps: Readonly<Record<string, string>>;
  events: readonly AutoscalerEvent[];
  stopped: string | undefined;
  errors: number;
  now: number;
}

export function autoscalerView(v: ViewInput): AutoscalerView {
  const { config: c, facts, now } = v;
  const backed = backedOff(v.backoff, now);
  const pending = (v.plan?.unfulfilled ?? []).map((d) => {
    const infeasible = v.plan?.infeasible.some((x) => shapeId(x.resources) === shapeId(d.resources));
    const why = infeasible ? 'no node type offers it'
      : backed.length > 0 ? `node types backed off after capacity errors: ${backed.join(', ')}`
        : 'the cluster is at max_workers (or each fitting type at its max_workers)';
    return { resources: d.resources, count: d.count, why };
  });
  const live = (facts?.nodes ?? []).filter((n) => n.alive && n.kind === 'worker');
  const kept = live.map((n) => {
    const t = c.available_node_types[n.nodeType];
    const idleMs = now - n.lastUsedAt;
    const timeout = ((t?.idle_timeout_s ?? c.idle_timeout_minutes * 60) * 1000);
    const same = live.filter((x) => x.nodeType === n.nodeType).length;
    const why = n.busy ? `busy: ${n.busy}` : same <= (t?.min_workers ?? 0) ? `idle ${Math.round(idleMs / 1000)} s, kept for min_workers (${t?.min_workers ?? 0})`
      : `idle ${Math.round(idleMs / 1000)} s of ${Math.round(timeout / 1000)} s`;
    return { nodeId: n.nodeId, why };
  });
  const registered = new Set((facts?.nodes ?? []).filter((n) => n.alive).map((n) => n.nodeId));
  const launching = (v.cloud ?? []).filter((n) => n.kind === 'worker' && !registered.has(n.id))
    .map((n) => ({ nodeId: n.id, nodeType: n.nodeType, status: v.setupSteps[n.id] ?? n.status }));
  return { events: v.events.slice(-50), pending, nodes: kept, launching, ...(v.stopped ? { stopped: v.stopped } : {}), errors: v.errors };
}
