// A node as its provider reports it: the one type that providers produce and the autoscaler's decision code reads,
// so it lives here, where both may import it (decision code never imports providers).

/** Which part of the cluster a node plays. */
export type NodeKind = 'head' | 'worker';

/** A node as its provider sees it. */
export interface CloudNode {
  /** The provider's id for the node (instance id, host, process node id). */
  id: string;
  /** The key of available_node_types the node was launched as. */
  nodeType: string;
  kind: NodeKind;
  /** Stopped nodes are listed too, so nothing can hide from `down`. */
  status: 'pending' | 'running' | 'stopping' | 'stopped';
  /** Address other nodes of the cluster reach it at. */
  internalIp?: string;
  /** Address this machine reaches it at, when it differs. */
  externalIp?: string;
  /** The launch request that created it, for idempotent retries. */
  requestId?: string;
  /**
   * The node's SSH host public key (`ssh-ed25519 AAAA…`), when the provider installed one it generated: it is
   * pinned before the first connection, so a cloud node is never trusted on first use.
   */
  hostKey?: string;
  /** Provider tags or labels, including raylaunch's own (cluster name, launch hash). */
  tags: Record<string, string>;
}
