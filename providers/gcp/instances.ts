/** Compute Engine instances as CloudNodes. Pure. */
import type { CloudNode } from '../provider.js';
import type { Launched as AnyLaunched } from '../unlisted.js';
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

/** A launched instance and its zone (deletes and guest attributes are zonal calls). */
export interface Launched extends AnyLaunched {
  zone: string;
}
