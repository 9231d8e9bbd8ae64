// The invariant every e2e job is held to once it has ended: the cluster gives back everything the job used. Only
// what outlives a job by design may still hold resources or keep a node busy: detached actors, placement groups
// the test keeps (of a job still running, or detached), and objects still referenced (where a test says so).
// A leak here is a worker that never scales down on a cloud, so it is checked after every job, not in one test.
import type { StatusJson } from '../../src/cli/status-json.js';
import { until } from './until.js';

export interface SettleAllowance {
  /** Objects of the test's own keeping may still pin a node ("holds objects a job may still need"). */
  objects?: boolean;
}

const EPSILON = 1e-9;

/** What is wrong with this status for a cluster no job runs on; undefined when nothing is. */
export function unsettled(s: StatusJson, allow: SettleAllowance = {}): string | undefined {
  const running = s.jobs.filter((j) => j.status === 'RUNNING' || j.status === 'PENDING');
  if (running.length > 0) return `jobs still running: ${running.map((j) => j.job_id).join(', ')}`;
  if (s.tasks.running > 0 || s.tasks.pending > 0) return `tasks left: ${s.tasks.running} running, ${s.tasks.pending} pending`;
  const held = new Map<string, Record<string, number>>();
  const hold = (nodeId: string, r: Readonly<Record<string, number>>) => {
    const h = held.get(nodeId) ?? {};
    for (const [k, v] of Object.entries(r)) h[k] = (h[k] ?? 0) + v;
    held.set(nodeId, h);
  };
  for (const g of s.placement_groups) for (const b of g.bundles) if (b.node_id) hold(b.node_id, b.resources);
  const liveActors = s.actors.filter((a) => a.state !== 'DEAD' && a.node_id);
  // An actor in a bundle holds the bundle's share, which the group already counts.
  for (const a of liveActors) if (!a.placement_group_id && a.node_id) hold(a.node_id, a.resources);
  const problems: string[] = [];
  for (const n of s.nodes.filter((x) => x.state === 'ALIVE')) {
    const expected = held.get(n.node_id) ?? {};
    for (const k of new Set([...Object.keys(n.total), ...Object.keys(expected)])) {
      const used = (n.total[k] ?? 0) - (n.available[k] ?? 0);
      if (Math.abs(used - (expected[k] ?? 0)) > EPSILON) problems.push(`${n.node_id}: ${k} ${used} used, but only ${expected[k] ?? 0} held by live actors and groups`);
    }
  }
  for (const { node_id: nodeId, why } of s.autoscaler?.nodes ?? []) {
    if (!why.startsWith('busy:')) continue;
    const explained = why === 'busy: hosts an actor' ? liveActors.some((a) => a.node_id === nodeId)
      : why === 'busy: running work' ? held.has(nodeId)
      : why === 'busy: holds objects a job may still need' ? allow.objects === true
      : false;
    if (!explained) problems.push(`${nodeId} is kept as "${why}" with no live actor, group or kept object to explain it`);
  }
  return problems.length > 0 ? problems.join('; ') : undefined;
}

/** Waits (bounded) until `unsettled` finds nothing; fails with what it last found. */
export async function assertSettled(status: () => Promise<StatusJson>, allow: SettleAllowance = {}): Promise<void> {
  let last = '';
  try {
    await until('the cluster to give back what its jobs used', 30_000, async () => {
      last = unsettled(await status(), allow) ?? '';
      return last === '' ? true : undefined;
    });
  } catch {
    throw new Error(`after the job ended, the cluster did not settle: ${last}`);
  }
}
