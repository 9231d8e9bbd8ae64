/**
 * Pure operations on the instance table that decide() and the outcomes of the executor share: marking nodes
 * chosen for termination, starting setups, and matching listed nodes to the launches that made them.
 */
import type { CloudNode } from '../../common/cloud-node.js';
import { type Instance, transition } from './instance-state.js';

/** Whether the node's latest instance is on its way out (host pools reuse a node id for a later instance). */
export function isLeaving(instances: readonly Instance[], nodeId: string): boolean {
  const latest = instances.findLast((i) => i.nodeId === nodeId);
  return latest !== undefined && (latest.state === 'draining' || latest.state === 'terminating' || latest.state === 'terminated' || latest.state === 'setup-failed');
}

/** Instances of nodes chosen for termination move to terminating (a running one drains first). */
export function markTerminating(instances: readonly Instance[], gone: readonly { id: string; reason: string }[], now: number): Instance[] {
  const why = new Map(gone.map((g) => [g.id, g.reason]));
  return instances.map((i) => {
    const reason = i.nodeId === undefined ? undefined : why.get(i.nodeId);
    if (reason === undefined) return i;
    switch (i.state) {
      case 'running': return transition(transition(i, 'draining', now, reason), 'terminating', now, reason);
      case 'draining': return transition(i, 'terminating', now, reason);
      case 'allocated': case 'setting-up': case 'setup-failed': return transition(i, 'terminating', now, reason);
      default: return i; // already on its way out (reconcile gave up on it), or gone
    }
  });
}

/**
 * Running nodes the head drains though the autoscaler did not choose them (a spot interruption notice) move to
 * draining: from now on they count as going, so plan() replaces what they held. Returns the nodes that moved now.
 */
export function markDrained(instances: readonly Instance[], draining: ReadonlyMap<string, string>, now: number): { instances: Instance[]; drained: { nodeId: string; reason: string }[] } {
  const drained: { nodeId: string; reason: string }[] = [];
  const out = instances.map((i) => {
    const reason = i.nodeId === undefined ? undefined : draining.get(i.nodeId);
    if (reason === undefined || i.state !== 'running' || i.nodeId === undefined) return i;
    drained.push({ nodeId: i.nodeId, reason });
    return transition(i, 'draining', now, reason);
  });
  return { instances: out, drained };
}

const launchedHere = (i: Instance) => i.history[0]?.state === 'queued' || i.history[0]?.state === 'requested';

/**
 * Nodes this head launched that the provider has allocated start their setup (providers reached over SSH) once
 * the provider lists them running: a cloud instance that is still pending has no address to reach yet (EC2 boots
 * for tens of seconds), so it stays allocated, under the node start timeout, until a later listing shows it run.
 * Adopted nodes (listed before this head started) are left as they are: they either register or time out.
 */
export function startSetups(instances: readonly Instance[], running: ReadonlySet<string>, now: number): { instances: Instance[]; nodeIds: string[] } {
  const nodeIds: string[] = [];
  const out = instances.map((i) => {
    if (i.state !== 'allocated' || i.nodeId === undefined || !launchedHere(i) || !running.has(i.nodeId)) return i;
    nodeIds.push(i.nodeId);
    return transition(i, 'setting-up', now, 'setup started');
  });
  return { instances: out, nodeIds };
}

/** The ids of the nodes a listing shows running: the ones setup can reach. */
export function runningIds(listed: readonly CloudNode[]): Set<string> {
  return new Set(listed.filter((n) => n.status === 'running').map((n) => n.id));
}

/** Requested instances of the given launches learn their nodes from a listing (in listing order). */
export function allocateListed(instances: readonly Instance[], requestIds: ReadonlySet<string>, listed: readonly CloudNode[], now: number): Instance[] {
  const claimed = new Set(instances.filter((i) => i.nodeId !== undefined && i.state !== 'terminated').map((i) => i.nodeId));
  return instances.map((i) => {
    if (i.state !== 'requested' || i.nodeId !== undefined || !requestIds.has(i.requestId)) return i;
    const node = listed.find((n) => n.requestId === i.requestId && !claimed.has(n.id));
    if (!node) return i;
    claimed.add(node.id);
    return { ...transition(i, 'allocated', now, 'the provider lists it'), id: node.id, nodeId: node.id };
  });
}

/**
 * How soon the loop lists the provider again while a node this head launched boots (requested, or allocated and
 * not yet set up): an instance runs at a moment only a listing shows, and waiting for the next full tick
 * (autoscaler_interval_s) left each boot up to that long unnoticed. undefined: nothing boots, the tick suffices.
 * Four listings a second are far below EC2's DescribeInstances rate limit.
 */
export const BOOT_POLL_MS = 250;

export function bootPollMs(instances: readonly Instance[], intervalMs: number): number | undefined {
  const booting = instances.some((i) => (i.state === 'requested' || i.state === 'allocated') && launchedHere(i));
  return booting && BOOT_POLL_MS < intervalMs ? BOOT_POLL_MS : undefined;
}
