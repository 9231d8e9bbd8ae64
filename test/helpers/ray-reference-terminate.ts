/**
 * The ORACLE's termination part: a literal transcription of Ray's `terminate_nodes_to_enforce_config_constraints`
 * (Ray v1's StandardAutoscaler) on plan()'s input shape, written from a description only.
 * Per-type idle timeouts replace Ray's single `idle_timeout_minutes`; `lastUsedAt` absent = no LoadMetrics entry.
 */
import type { PlanInput, PlanNode, PlanOutput } from '../../src/head/autoscaler/plan.js';
import { binPack, dictEq, expand, toRD, type RD, type TypeTable } from './ray-reference-binpack.js';

type Reason = PlanOutput['terminate'][number]['reason'];

/** Python `sorted(workers, key=last_used_or_minus_1, reverse=True)`: stable, so equal keys keep provider order. */
function sortByLastUsedDesc(workers: PlanNode[]): PlanNode[] {
  return [...workers].sort((a, b) => (b.lastUsedAt ?? -1) - (a.lastUsedAt ?? -1));
}

/**
 * `_get_nodes_needed_for_request_resources(sorted_ids)`: ids of the workers whose configured capacity the
 * request_resources bundles touch (or whose capacity is empty). The head's capacity goes first. A type missing from
 * the config (Ray would raise KeyError) is treated like `resources: {}` (falls back to the node's static resources).
 */
function neededForRequests(input: PlanInput, config: TypeTable, sorted: PlanNode[], requested: RD[]): Set<string> {
  const configured = (t: string | null): RD | undefined => (t === null ? undefined : config.get(t)?.resources);
  const head = input.nodes.find((n) => n.kind === 'head');
  const headCfg = configured(input.headNodeType);
  // `resources` of the head type, or the head's static resources when that is {} (or the type is unknown).
  const caps: RD[] = [headCfg && headCfg.size > 0 ? headCfg : toRD(head?.total ?? {})];
  const ids: string[] = [];
  for (const n of sorted) {
    if (n.nodeType === null) continue; // only nodes with a user node type take part
    const cfg = configured(n.nodeType);
    caps.push(cfg && cfg.size > 0 ? cfg : toRD(n.total ?? {}));
    ids.push(n.id);
  }
  const { residual } = binPack(caps, requested);
  const keep = new Set<string>();
  ids.forEach((id, i) => {
    const cap = caps[i + 1] ?? new Map<string, number>();
    const left = residual[i + 1] ?? new Map<string, number>();
    // Python dict `==`: untouched (and non-empty) => may go; touched or empty => kept.
    if (!(dictEq(left, cap) && cap.size > 0)) keep.add(id);
  });
  return keep;
}

/** The nodes §3.4 terminates, in the order they are scheduled, with the reason. Never the head; only kind 'worker'. */
export function referenceTerminations(input: PlanInput, config: TypeTable): { id: string; reason: Reason }[] {
  const out: { id: string; reason: Reason }[] = [];
  const workers = input.nodes.filter((n) => n.kind === 'worker');
  const sorted = sortByLastUsedDesc(workers);
  const requested = expand(input.requestedBundles);
  // `if request_resources bundles exist` — a Python list's truthiness: at least one unit.
  const keepForRequests = requested.length > 0 ? neededForRequests(input, config, sorted, requested) : new Set<string>();
  const counts = new Map<string | null, number>(); // defaultdict(int) of kept nodes per type (None included)
  const bump = (t: string | null) => counts.set(t, (counts.get(t) ?? 0) + 1);
  const launchConfigOk = (n: PlanNode): boolean =>
    n.nodeType !== null && config.has(n.nodeType) && n.launchHash === input.currentLaunchHash[n.nodeType];
  const isIdle = (n: PlanNode): boolean => {
    if (n.lastUsedAt === undefined || n.nodeType === null) return false; // no LoadMetrics entry / no timeout
    const timeout = Object.hasOwn(input.idleTimeoutMs, n.nodeType) ? input.idleTimeoutMs[n.nodeType] : undefined;
    return timeout !== undefined && n.lastUsedAt < input.now - timeout;
  };
  const couldTerminate: PlanNode[] = [];
  for (const n of sorted) {
    // _keep_worker_of_node_type(id, counts)
    let decision: 'keep' | 'later' | Reason = 'later';
    const t = n.nodeType;
    if (t !== null) {
      const cfg = config.get(t);
      if (!cfg) decision = 'type_removed';
      else {
        const next = (counts.get(t) ?? 0) + 1;
        if (next <= Math.min(cfg.minWorkers, cfg.maxWorkers)) decision = 'keep';
        else if (next > cfg.maxWorkers) decision = 'max_workers_per_type';
      }
    }
    if (decision !== 'keep' && decision !== 'later') {
      out.push({ id: n.id, reason: decision });
      continue;
    }
    if ((decision === 'keep' || keepForRequests.has(n.id)) && launchConfigOk(n)) {
      bump(t);
      continue;
    }
    if (isIdle(n)) out.push({ id: n.id, reason: 'idle' });
    else if (!launchConfigOk(n)) out.push({ id: n.id, reason: 'outdated' });
    else {
      bump(t);
      couldTerminate.push(n);
    }
  }
  let extra = workers.length - out.length - input.maxWorkers;
  extra = Math.min(extra, couldTerminate.length);
  // could_terminate[-extra:] — the least recently used, kept in list order.
  if (extra > 0) for (const n of couldTerminate.slice(couldTerminate.length - extra)) out.push({ id: n.id, reason: 'max_workers' });
  return out;
}
