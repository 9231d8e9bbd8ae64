/**
 * EC2 instances as CloudNodes, and the listing merged with what this provider launched but EC2 does not list
 * yet (DescribeInstances is eventually consistent): such an instance still counts for its request, so a retry
 * launches nothing twice and `down` misses nothing it knows of. Pure.
 */
import type { Instance } from '@aws-sdk/client-ec2';
import { CLUSTER_NAME_TAG, type CloudNode } from '../provider.js';
import { TAG } from './names.js';

/** How long a launched instance counts without being listed; EC2 lists new instances within seconds. */
export const UNLISTED_GRACE_MS = 5 * 60_000;

const STATUS: Record<string, CloudNode['status'] | undefined> = {
  pending: 'pending', running: 'running', stopping: 'stopping', 'shutting-down': 'stopping', stopped: 'stopped',
};

/** The node, or undefined for a terminated instance (or one of no cluster). */
export function toCloudNode(i: Instance, useInternalIps: boolean): CloudNode | undefined {
  const status = STATUS[i.State?.Name ?? ''];
  if (!status || !i.InstanceId) return undefined;
  const tags = Object.fromEntries((i.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key ?? '', t.Value ?? '']));
  if (!tags[CLUSTER_NAME_TAG]) return undefined;
  const kind = tags[TAG.kind] === 'head' ? 'head' : 'worker';
  const node: CloudNode = { id: i.InstanceId, nodeType: tags[TAG.nodeType] ?? '', kind, status, tags };
  if (tags[TAG.requestId]) node.requestId = tags[TAG.requestId];
  // Addresses only once the instance runs: a pending one's may still change, a stopped one's is gone.
  if (status === 'running') {
    if (i.PrivateIpAddress) node.internalIp = i.PrivateIpAddress;
    if (!useInternalIps && i.PublicIpAddress) node.externalIp = i.PublicIpAddress;
  }
  if (tags[TAG.hostKey]) node.hostKey = tags[TAG.hostKey];
  return node;
}

export interface Launched {
  node: CloudNode;
  at: number;
}

/**
 * The listing, plus the launched instances it lacks (as pending) while they are younger than the grace period.
 * `seen` holds every id the listing returned, terminated ones too: an instance seen once is EC2's to report.
 * `keep` is what to remember for next time: launched instances not listed yet.
 */
export function withUnlisted(listed: readonly CloudNode[], seen: ReadonlySet<string>, launched: ReadonlyMap<string, Launched>, now: number): { nodes: CloudNode[]; keep: Map<string, Launched> } {
  const ids = new Set([...seen, ...listed.map((n) => n.id)]);
  const keep = new Map<string, Launched>();
  const extra: CloudNode[] = [];
  for (const [id, l] of launched) {
    if (ids.has(id) || now - l.at > UNLISTED_GRACE_MS) continue;
    keep.set(id, l);
    extra.push({ ...l.node, status: 'pending', tags: { ...l.node.tags } });
  }
  return { nodes: [...listed, ...extra].sort((a, b) => a.id.localeCompare(b.id)), keep };
}
