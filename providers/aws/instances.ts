/** EC2 instances as CloudNodes. Pure. */
import type { Instance } from '@aws-sdk/client-ec2';
import { CLUSTER_NAME_TAG, type CloudNode } from '../provider.js';
import { TAG } from './names.js';

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
