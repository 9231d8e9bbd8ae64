/**
 * The narrow seam between raylaunch and wherever nodes come from. Three calls, each idempotent and eventually
 * consistent; optional features get their own interfaces rather than new required methods.
 */

import type { CloudNode, NodeKind } from '../src/common/cloud-node.js';
import type { ClusterConfig } from '../src/config/types.js';
import { ProviderConfigError } from './errors.js';

/** The tag (label) every provider puts on its nodes, naming their cluster; listing filters on it. */
export const CLUSTER_NAME_TAG = 'raylaunch-cluster-name';

export type { CloudNode, NodeKind } from '../src/common/cloud-node.js';

/** One batch of identical nodes to create. */
export interface LaunchRequest {
  /** Retrying a request with the same id creates only what is missing. */
  requestId: string;
  nodeType: string;
  kind: NodeKind;
  count: number;
  /** Tags to put on every node of the batch (the provider adds the cluster's own). */
  tags?: Record<string, string>;
}

/** Where nodes come from: a cloud, a host pool, or processes on this machine. */
export interface NodeProvider {
  /** This cluster's non-terminated nodes (stopped ones included, marked so). */
  listNodes(): Promise<CloudNode[]>;
  /** Creates the nodes of a request that do not exist yet; one provider call per batch where the API allows. */
  launch(req: LaunchRequest): Promise<void>;
  /** Terminates nodes; ids already gone are fine. */
  terminate(ids: string[]): Promise<void>;
}

/**
 * Optional, for clouds: creates what the cluster's nodes need before the first one is launched (key pair,
 * security group or firewall rule, subnet choice). Called by `up` only; idempotent. Resolves with the config as
 * the nodes get it (Ray's bootstrapped config: chosen subnets, image, key and resources filled in); the provider
 * launches with that config from then on. Each step is told to `progress` with what it created or found.
 */
export interface PreparesCluster {
  prepare(config: ClusterConfig, progress?: (line: string) => void): Promise<ClusterConfig>;
  /**
   * What prepare() started and the nodes need only once they are reached (GCP: its firewall rules' operations,
   * seconds each), finished; `up` awaits it after launching the head and before its first connection, so that
   * wait overlaps the head's boot. Rejects with prepare()'s error for it.
   */
  settled?(): Promise<void>;
}

/** Whether a provider offers `prepare()`. */
export function preparesCluster(p: NodeProvider): p is NodeProvider & PreparesCluster {
  return typeof (p as Partial<PreparesCluster>).prepare === 'function';
}

/**
 * Optional, for clouds: once `down` has terminated every node, deletes what prepare() created for the cluster
 * (security group, key pair, role), retrying while the cloud still sees them in use, then lists everything
 * still tagged with the cluster. Resolves with what remains (empty: nothing of the cluster is left).
 */
export interface CleansUpCluster {
  cleanUp(progress?: (line: string) => void): Promise<string[]>;
}

/** Whether a provider offers `cleanUp()`. */
export function cleansUpCluster(p: NodeProvider): p is NodeProvider & CleansUpCluster {
  return typeof (p as Partial<CleansUpCluster>).cleanUp === 'function';
}

/**
 * Optional, for clouds that can stop an instance and start it again (`provider.cache_stopped_nodes: true`): the
 * autoscaler stops idle workers with stop() instead of terminating them, and the provider's launch() starts
 * stopped nodes of the type (and launch hash) before it creates new ones. A node the cloud cannot stop (a spot
 * instance) is terminated instead. `down` still terminates everything, stopped nodes included.
 */
export interface StopsNodes {
  stop(ids: string[]): Promise<void>;
}

/** Whether a provider offers `stop()`. */
export function stopsNodes(p: NodeProvider): p is NodeProvider & StopsNodes {
  return typeof (p as Partial<StopsNodes>).stop === 'function';
}

/**
 * Optional, for providers that hand the same hosts out again (a host pool): a node whose setup failed is handed
 * back like terminate() does, but its host is kept out of launches for a cool-down, so a broken host is not
 * retried on every autoscaler tick. Providers without it get terminate() and a fresh node next time.
 */
export interface HoldsFailedHosts {
  releaseFailed(ids: string[]): Promise<void>;
}

/** Whether a provider offers `releaseFailed()`. */
export function holdsFailedHosts(p: NodeProvider): p is NodeProvider & HoldsFailedHosts {
  return typeof (p as Partial<HoldsFailedHosts>).releaseFailed === 'function';
}

/** What every provider checks of a launch request before acting on it. */
export function validateLaunchRequest(req: LaunchRequest): void {
  if (!Number.isSafeInteger(req.count) || req.count < 0) throw new ProviderConfigError(`launch count must be a whole number ≥ 0, got ${req.count}`);
  if (req.requestId === '') throw new ProviderConfigError('launch needs a requestId', { hint: 'Retries are matched by requestId.' });
  if (req.nodeType === '') throw new ProviderConfigError('launch needs a nodeType');
}
