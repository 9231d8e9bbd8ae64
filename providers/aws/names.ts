/**
 * The names and tags raylaunch gives what it creates in an AWS account, derived from the cluster's name so that
 * `up` finds them again and `down` removes them. Pure.
 */
import { createHash } from 'node:crypto';

/** Tags on every instance (beside the cluster name tag, CLUSTER_NAME_TAG). */
export const TAG = {
  kind: 'raylaunch-node-kind',
  nodeType: 'raylaunch-node-type',
  requestId: 'raylaunch-request-id',
  launchHash: 'raylaunch-launch-hash',
  /** The node's SSH host public key (not a secret): what the CLI and the head pin before connecting. */
  hostKey: 'raylaunch-host-key',
} as const;

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** `<prefix><cluster>`, shortened with a hash of the cluster's name when it would pass `max` characters (IAM: 64). */
export function awsName(prefix: string, cluster: string, max = 64): string {
  const full = `${prefix}${cluster}`;
  if (full.length <= max) return full;
  const h = hex(cluster, 8);
  return `${full.slice(0, max - h.length - 1)}-${h}`;
}

/** The head's role and instance profile (IAM names: ≤ 64 characters, [\w+=,.@-]). */
export const headRoleName = (cluster: string) => awsName('raylaunch-head-', cluster);
export const HEAD_POLICY_NAME = 'raylaunch-head';
export const securityGroupName = (cluster: string) => awsName('raylaunch-', cluster, 255);
export const keyPairName = (base: string, publicKey: string) => awsName(`${base}-`, hex(publicKey, 10), 255);

/**
 * EC2's idempotency token for one RunInstances attempt (≤ 64 ASCII characters): the same request, subnet and
 * generation give the same token, so a retry after an unknown outcome returns the same reservation; a new
 * generation (after a definite failure) launches anew.
 */
export function clientToken(cluster: string, requestId: string, subnet: string, generation: number): string {
  return `rl-${hex(`${cluster}\0${requestId}\0${subnet}\0${generation}`, 40)}-${generation}`.slice(0, 64);
}
