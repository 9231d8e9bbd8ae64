/**
 * Which watch, if any, tells a node's agent that its cloud is taking the instance back: EC2's spot interruption
 * notice, or GCE's `instance/preempted` for Spot and preemptible VMs. Either way the agent sends the head one
 * `node.draining` with the reason, and the head drains the node and replaces it.
 */
import type { ClusterConfig } from '../config/types.js';
import { isInterruptible, schedulingObject } from '../../providers/gcp/node-config.js';
import { gceMetadata } from './gce-metadata.js';
import { GCE_PREEMPTION_REASON, GcePreemptionWatcher } from './gce-preemption.js';
import { imdsV2 } from './instance-metadata.js';
import { isSpotType, SPOT_NOTICE_REASON, SpotWatcher } from './spot-watcher.js';

export interface PreemptionWatch {
  start(): void;
  stop(): void;
}

export interface PreemptionHandlers {
  /** The reason the head shows for the drain. */
  onNotice(reason: string): void;
  onError(e: Error): void;
}

/** Whether nodes of this type are GCE Spot or preemptible VMs (node_config.scheduling, in Ray's shape or the API's). Pure. */
export function isGcePreemptibleType(config: ClusterConfig, nodeType: string): boolean {
  if (config.provider.type !== 'gcp') return false;
  try {
    return isInterruptible(schedulingObject(config.available_node_types[nodeType]?.node_config.scheduling));
  } catch {
    return false; // a malformed scheduling never launched
  }
}

/** The watch for this node type on its cloud, or undefined when its instances are not taken back early. */
export function preemptionWatch(config: ClusterConfig, nodeType: string, h: PreemptionHandlers, env: NodeJS.ProcessEnv = process.env): PreemptionWatch | undefined {
  if (isSpotType(config, nodeType)) {
    return new SpotWatcher({
      metadata: imdsV2(env.AWS_EC2_METADATA_SERVICE_ENDPOINT),
      onNotice: (n) => h.onNotice(`${SPOT_NOTICE_REASON} (${n.action} at ${n.time})`),
      onError: h.onError,
    });
  }
  if (isGcePreemptibleType(config, nodeType)) {
    return new GcePreemptionWatcher({ metadata: gceMetadata(env.GCE_METADATA_HOST), onNotice: () => h.onNotice(GCE_PREEMPTION_REASON), onError: h.onError });
  }
  return undefined;
}
