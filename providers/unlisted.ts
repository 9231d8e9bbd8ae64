/**
 * A cloud's listing merged with what the provider launched but the listing does not show yet (EC2's
 * DescribeInstances and GCE's aggregatedList are eventually consistent): such an instance still counts for its
 * request, so a retry launches nothing twice and `down` misses nothing it knows of. Pure; for every cloud provider.
 */
import type { CloudNode } from './provider.js';

/** How long a launched instance counts without being listed; the clouds list new instances within seconds. */
export const UNLISTED_GRACE_MS = 5 * 60_000;

/** An instance this provider launched, as it was when launched; a cloud may keep more (GCP: its zone). */
export interface Launched {
  node: CloudNode;
  at: number;
}

/**
 * The listing, plus the launched instances it lacks (as pending) while they are younger than the grace period.
 * `seen` holds ids the cloud reported that are not in the listing (EC2's terminated instances): an instance seen
 * once is the cloud's to report. `keep` is what to remember for next time: launched instances not listed yet.
 */
export function withUnlisted<L extends Launched>(listed: readonly CloudNode[], launched: ReadonlyMap<string, L>, now: number, seen: ReadonlySet<string> = new Set()): { nodes: CloudNode[]; keep: Map<string, L> } {
  const ids = new Set([...seen, ...listed.map((n) => n.id)]);
  const keep = new Map<string, L>();
  const extra: CloudNode[] = [];
  for (const [id, l] of launched) {
    if (ids.has(id) || now - l.at > UNLISTED_GRACE_MS) continue;
    keep.set(id, l);
    extra.push({ ...l.node, status: 'pending', tags: { ...l.node.tags } });
  }
  return { nodes: [...listed, ...extra].sort((a, b) => a.id.localeCompare(b.id)), keep };
}
