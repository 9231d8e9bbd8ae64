/**
 * The autoscaler's wording, in one place: why a launch or termination was decided (computed when it is decided,
 * from what it was decided on), and how outcomes read in `status` and `monitor`.
 */
import { formatResources } from '../../common/resources.js';
import type { ClusterFacts } from './facts.js';
import { type Res, unitFits } from './resources.js';

/**
 * The demands a launch of `nodeType` answers: "12 pending {GPU: 1}", placement groups, request_resources, and
 * min_workers when the type is below it. What a node of the type can hold counts; when it holds none of them (its
 * resources are not known yet) every demand is named.
 */
export function launchReason(o: { resources: Res; facts: ClusterFacts; belowMin: boolean }): string {
  const answered = (fit: (r: Res) => boolean) => {
    const groups = o.facts.placementGroups.filter((g) => g.bundles.some((b) => fit(b.resources)));
    return [
      ...o.facts.demands.filter((d) => fit(d.resources)).slice(0, 3).map((d) => `${d.count} pending ${formatResources(d.resources)}`),
      ...(groups.length > 0 ? [`${groups.length} placement group(s)`] : []),
      ...(o.facts.requested.some((r) => fit(r.resources)) ? ['request_resources'] : []),
    ];
  };
  let parts = answered((r) => unitFits(o.resources, r));
  if (parts.length === 0 && !o.belowMin) parts = answered(() => true);
  if (o.belowMin) parts.push('min_workers');
  return parts.length > 0 ? parts.join(', ') : 'min_workers';
}

/** A termination's reason as people read it: "idle 302 s", "never registered", "setup failed". */
export function terminationWhy(reason: string, idleMs: number | undefined): string {
  return reason === 'idle' && idleMs !== undefined ? `idle ${Math.round(idleMs / 1000)} s` : reason.replace(/_/g, ' ');
}

/** A node that drains though the autoscaler did not choose it: what happens now. */
export const drainText = (nodeId: string, reason: string) =>
  `${nodeId}: ${reason}; drained: its work moves to other nodes, and it counts as going (a replacement launches if one is needed)`;

/** A failed setup's error on one line: the message's lines (the command's last output included) joined. */
export function oneLine(message: string, max = 600): string {
  return message.split('\n').map((l) => l.trim()).filter(Boolean).join(' | ').slice(0, max);
}

export const setupFailedText = (nodeId: string, error: string, log: string) => `setting up ${nodeId} failed: ${error} (log: ${log})`;

export const backoffText = (nodeType: string, message: string, seconds: number) =>
  `${nodeType}: ${message}; not launched again for ${seconds} s (other types that fit are tried)`;
