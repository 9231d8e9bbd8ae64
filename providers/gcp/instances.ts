/**
 * Compute Engine instances as CloudNodes, and the listing merged with what this provider launched but the list
 * does not show yet (aggregatedList lags a fresh instance for a moment): such an instance still counts for its
 * request, so a retry launches nothing twice and `down` misses nothing it knows of. Pure.
 */
import type { CloudNode } from '../provider.js';
import { LABEL, META } from './names.js';

/** The part of an instance resource raylaunch reads. */
export interface InstanceView {
  id?: string | number | null;
  name?: string | null;
  zone?: string | null;
  status?: string | null;
  labels?: Record<string, string> | null;
  metadata?: { items?: { key?: string | null; value?: string | null }[] | null } | null;
  scheduling?: { preemptible?: boolean | null; provisioningModel?: string | null } | null;
  networkInterfaces?: { networkIP?: string | null; accessConfigs?: { natIP?: string | null }[] | null }[] | null;
}

/** How long a launched instance counts without being listed. */
export const UNLISTED_GRACE_MS = 5 * 60_000;

/** GCE's statuses: TERMINATED is a stopped VM (its disk kept), SUSPENDED one whose memory is kept too. */
const STATUS: Record<string, CloudNode['status'] | undefined> = {
  PROVISIONING: 'pending', STAGING: 'pending', RUNNING: 'running', REPAIRING: 'pending',
  STOPPING: 'stopping', SUSPENDING: 'stopping', TERMINATED: 'stopped', SUSPENDED: 'stopped',
};

export const zoneOf = (i: InstanceView) => (i.zone ?? '').split('/').pop() ?? '';

/**
 * The node. A RUNNING instance whose host key is not known yet is still `pending`: its address is only handed out
 * with a key to pin, so nothing connects to a node it cannot verify.
 */
export function toCloudNode(i: InstanceView, o: { useInternalIps: boolean; hostKey?: string }): CloudNode | undefined {
  let status = STATUS[i.status ?? ''];
  if (!status || !i.name) return undefined;
  const meta = Object.fromEntries((i.metadata?.items ?? []).map((m) => [m.key ?? '', m.value ?? '']));
  let exact: Record<string, string> = {};
  try {
    exact = JSON.parse(meta[META.tags] ?? '{}') as Record<string, string>;
  } catch {
    // a damaged item: the labels still say what they can
  }
  const labels = i.labels ?? {};
  const tags = { ...labels, ...exact };
  const kind = labels[LABEL.kind] === 'head' ? 'head' : 'worker';
  if (status === 'running' && !o.hostKey) status = 'pending';
  const node: CloudNode = { id: i.name, nodeType: meta[META.nodeType] ?? labels[LABEL.nodeType] ?? '', kind, status, tags };
  const requestId = meta[META.requestId] ?? labels[LABEL.requestId];
  if (requestId) node.requestId = requestId;
  if (status === 'running') {
    const nic = i.networkInterfaces?.[0];
    if (nic?.networkIP) node.internalIp = nic.networkIP;
    const nat = nic?.accessConfigs?.find((a) => a.natIP)?.natIP;
    if (!o.useInternalIps && nat) node.externalIp = nat;
    if (o.hostKey) node.hostKey = o.hostKey;
  }
  return node;
}

/** The host key line to pin from an instance's `hostkeys/` guest attributes: ed25519 first, as ssh prefers it. */
export function hostKeyLine(items: readonly { key?: string | null; value?: string | null }[]): string | undefined {
  const keys = items.filter((i) => i.key && i.value).map((i) => ({ type: i.key ?? '', blob: (i.value ?? '').trim().split(/\s+/).pop() ?? '' }));
  const order = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ssh-rsa'];
  keys.sort((a, b) => (order.indexOf(a.type) + 1 || 99) - (order.indexOf(b.type) + 1 || 99));
  const best = keys[0];
  return best ? `${best.type} ${best.blob}` : undefined;
}

export interface Launched {
  node: CloudNode;
  zone: string;
  at: number;
}

/** The listing plus the launched instances it lacks (as pending) while younger than the grace period. */
export function withUnlisted(listed: readonly CloudNode[], launched: ReadonlyMap<string, Launched>, now: number): { nodes: CloudNode[]; keep: Map<string, Launched> } {
  const ids = new Set(listed.map((n) => n.id));
  const keep = new Map<string, Launched>();
  const extra: CloudNode[] = [];
  for (const [id, l] of launched) {
    if (ids.has(id) || now - l.at > UNLISTED_GRACE_MS) continue;
    keep.set(id, l);
    extra.push({ ...l.node, status: 'pending', tags: { ...l.node.tags } });
  }
  return { nodes: [...listed, ...extra].sort((a, b) => a.id.localeCompare(b.id)), keep };
}
