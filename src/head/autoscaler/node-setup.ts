import type { CloudNode } from '../../../providers/provider.js';

/**
 * How the autoscaler brings a node it launched into the cluster when the provider's nodes are reached over SSH
 * (src/head/ssh-nodes.ts: the node updater), and stops what it started there. Process nodes need none.
 */
export interface NodeSetup {
  /**
   * Probes, syncs, runs the setup commands and starts raylaunch (retrying as the node updater does); rejects
   * with why it could not. `onStep` hears each step as it starts.
   */
  setUp(node: CloudNode, onStep: (step: string) => void): Promise<void>;
  /** Stops raylaunch's processes on the node; fine when none run. */
  stop(node: CloudNode): Promise<void>;
  /** Where the node's setup output is kept (named when its setup fails). */
  logOf(node: CloudNode): string;
}
