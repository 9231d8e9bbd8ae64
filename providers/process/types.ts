import type { NodeKind } from '../provider.js';

/** The program a process node runs; the provider adds the node's identity as trailing arguments. */
export interface ProcessNodeCommand {
  file: string;
  args: string[];
  /** The node's whole environment: nothing of raylaunch's own is inherited, so a node behaves the same however `up` was started. */
  env: Record<string, string>;
}

/** Settings of a ProcessProvider: one cluster, one state directory on this machine. */
export interface ProcessProviderOptions {
  clusterName: string;
  /** The cluster's state directory on this machine. Node records go in <stateDir>/nodes/<id>.json, logs in <stateDir>/logs/<id>.log. */
  stateDir: string;
  /** How to start a node of this kind/type. The provider appends `--cluster <clusterName> --node <id>` to args. */
  command: (kind: NodeKind, nodeType: string) => ProcessNodeCommand;
  /** The secret a new worker node reads as the first line of its stdin (its node credential), if any. */
  credential?(nodeId: string): string;
  /** SIGTERM → SIGKILL grace period for terminate(); default 5000 ms. */
  graceMs?: number;
}
