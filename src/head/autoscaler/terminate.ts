import { binPackResidual, type Res } from './resources.js';
import type { NodeTypeSpec, PlanInput, PlanNode, Termination } from './plan-types.js';

export type { Termination } from './plan-types.js';

const sameRes = (a: Res, b: Res) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

/**
 * Ray's terminate_nodes_to_enforce_config_constraints (reference §3.4): workers sorted by last use (most recent
 * first) fill each type's min_workers; then a node of a type no longer configured, past its type's max, idle past
 * its type's timeout, or with an outdated launch config goes; then the least recently used of the rest go while
 * the cluster is over the global max. The head never goes, nor a node that request_resources needs.
 */
export function terminations(input: PlanInput, types: readonly NodeTypeSpec[]): Termination[] {
  const byName = new Map(types.map((t) => [t.name, t]));
  const workers = input.nodes
    .map((n, i) => ({ n, i }))
    .filter(({ n }) => n.kind === 'worker')
    .sort((a, b) => (b.n.lastUsedAt ?? -1) - (a.n.lastUsedAt ?? -1) || a.i - b.i)
    .map(({ n }) => n);
  const keepForRequests = requestedKeep(input, workers, byName);
  const out: Termination[] = [];
  const counts = new Map<string, number>();
  const couldTerminate: PlanNode[] = [];
  // Ray's launch_config_ok: the node's type is configured and its launch-config tag is the current hash (an
  // untyped node, or one without the tag, is outdated).
  const launchOk = (n: PlanNode) => n.nodeType !== null && byName.has(n.nodeType) && n.launchHash === input.currentLaunchHash[n.nodeType];
  for (const n of workers) {
    let keep = false;
    if (n.nodeType !== null) {
      const t = byName.get(n.nodeType);
      if (!t) {
        out.push({ id: n.id, reason: 'type_removed' });
        continue;
      }
      const next = (counts.get(t.name) ?? 0) + 1;
      if (next <= Math.min(t.minWorkers, t.maxWorkers)) keep = true;
      else if (next > t.maxWorkers) {
        out.push({ id: n.id, reason: 'max_workers_per_type' });
        continue;
      }
    }
    const bump = () => { if (n.nodeType !== null) counts.set(n.nodeType, (counts.get(n.nodeType) ?? 0) + 1); };
    if ((keep || keepForRequests.has(n.id)) && launchOk(n)) {
      bump();
      continue;
    }
    const timeout = n.nodeType === null ? undefined : input.idleTimeoutMs[n.nodeType];
    if (n.lastUsedAt !== undefined && timeout !== undefined && n.lastUsedAt < input.now - timeout) out.push({ id: n.id, reason: 'idle' });
    else if (!launchOk(n)) out.push({ id: n.id, reason: 'outdated' });
    else {
      bump();
      couldTerminate.push(n);
    }
  }
  const extra = Math.min(workers.length - out.length - input.maxWorkers, couldTerminate.length);
  if (extra > 0) for (const n of couldTerminate.slice(-extra)) out.push({ id: n.id, reason: 'max_workers' });
  return out;
}

/** Workers whose configured capacity request_resources bundles would use (they are kept even when idle). */
function requestedKeep(input: PlanInput, workers: PlanNode[], byName: Map<string, NodeTypeSpec>): Set<string> {
  if (!input.requestedBundles.some((b) => b.count > 0)) return new Set();
  const capacityOf = (n: PlanNode | undefined, typeName: string | null): Res => {
    const configured = typeName === null ? undefined : byName.get(typeName)?.resources;
    return configured && Object.keys(configured).length > 0 ? configured : { ...(n?.total ?? {}) };
  };
  const head = input.nodes.find((n) => n.kind === 'head');
  const typed = workers.filter((w) => w.nodeType !== null); // only nodes with a user node type take part
  const capacities = [capacityOf(head, input.headNodeType), ...typed.map((w) => capacityOf(w, w.nodeType))];
  const { residual } = binPackResidual(capacities, input.requestedBundles);
  const keep = new Set<string>();
  typed.forEach((w, i) => {
    const before = capacities[i + 1] as Res;
    const after = residual[i + 1] as Res;
    if (Object.keys(before).length === 0 || !sameRes(before, after)) keep.add(w.id);
  });
  return keep;
}
