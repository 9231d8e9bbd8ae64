/**
 * The names and labels raylaunch gives what it creates in a GCP project. GCE allows only `[a-z0-9-]` in names
 * (63 at most, a letter first) and `[a-z0-9_-]` in label values, which Ray's type names (`ray.head.default`) and
 * many cluster names do not fit: such values are shortened and made valid with a hash, and the exact values ride
 * in the instance's metadata. Pure.
 */
import { createHash } from 'node:crypto';

/** Label keys on every instance (beside the cluster's, CLUSTER_NAME_TAG) and metadata keys for the exact values. */
export const LABEL = {
  kind: 'raylaunch-node-kind',
  nodeType: 'raylaunch-node-type',
  requestId: 'raylaunch-request-id',
} as const;

/** Metadata items holding the values labels cannot carry exactly: the node type, the request id, all tags. */
export const META = {
  nodeType: 'raylaunch-node-type',
  requestId: 'raylaunch-request-id',
  tags: 'raylaunch-tags',
} as const;

const hex = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;

/** The value as a label value: unchanged when it fits, else lowercased, other characters as `-`, with a hash. */
export function labelValue(v: string): string {
  if (LABEL_VALUE.test(v)) return v;
  const h = hex(v, 8);
  const base = v.toLowerCase().replace(/[^a-z0-9_-]+/g, '-').slice(0, 63 - h.length - 1);
  return `${base}-${h}`;
}

/** A tag key as a label key, or undefined when it cannot be one (it still rides in the metadata). */
export function labelKey(k: string): string | undefined {
  if (LABEL_KEY.test(k)) return k;
  const lowered = k.toLowerCase().replace(/[^a-z0-9_-]+/g, '-');
  return LABEL_KEY.test(lowered) ? lowered : undefined;
}

/** `[a-z0-9-]` only, no leading digit or dash, no trailing dash, at most `max`; a hash when anything changed. */
export function slug(v: string, max: number): string {
  const clean = v.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^[-0-9]+|-+$/g, '');
  if (clean === v && clean.length <= max) return clean;
  const h = hex(v, 6);
  const base = clean.slice(0, Math.max(0, max - h.length - 1)).replace(/-+$/, '');
  return base === '' ? `x${h}`.slice(0, max) : `${base}-${h}`;
}

/** The network tag on every node of the cluster, which its firewall rules target. */
export const networkTag = (cluster: string) => `raylaunch-${slug(cluster, 53)}`;

/** The cluster's firewall rules (names: 63 at most, like instances). */
export const firewallNames = (cluster: string) => {
  const base = `raylaunch-${slug(cluster, 40)}`;
  return { ssh: `${base}-ssh`, internal: `${base}-internal` };
};

/**
 * The instance names of one bulkInsert: the cluster and the node type, then a hash of the request, its zone and
 * attempt, then the index. Known before the call, so an instance that a lagging list leaves out is still known.
 */
export function instanceNames(cluster: string, nodeType: string, requestId: string, zone: string, attempt: number, count: number): string[] {
  const h = hex(`${cluster}\0${requestId}\0${zone}\0${attempt}`, 8);
  const prefix = `rl-${slug(cluster, 20)}-${slug(nodeType, 20)}-${h}`;
  return Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
}

/**
 * GCE's idempotency key for one call (a UUID): the same inputs give the same UUID, so a retried call gets the
 * first one's operation back instead of acting twice.
 */
export function requestUuid(...parts: (string | number)[]): string {
  const h = createHash('sha256').update(parts.map(String).join('\0')).digest('hex');
  // Version 4 and the RFC 4122 variant, as GCE's validation expects of a UUID; never the zero UUID.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[parseInt(h[16] ?? '0', 16) % 4] ?? '8'}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
