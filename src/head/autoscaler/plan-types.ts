// What plan() and its termination rules (terminate.ts) both speak: its input and output. Apart from plan.ts so that
// terminate.ts needs nothing of it (no import cycle); plan.ts re-exports them, its public shape unchanged.
import type { Demand, Res } from './resources.js';

/** A node type of the config, in YAML order. */
export type NodeTypeSpec = { name: string; resources: Res; minWorkers: number; maxWorkers: number };

/** A node as the autoscaler sees it: `available` absent = not connected yet (counted at its type's capacity). */
export type PlanNode = {
  id: string; ip?: string; nodeType: string | null; kind: 'head' | 'worker' | null;
  total?: Res; available?: Res;
  lastUsedAt?: number; launchHash?: string; registeredAt?: number;
};

/** Everything plan() decides on. */
export interface PlanInput {
  nodeTypes: NodeTypeSpec[]; headNodeType: string | null; maxWorkers: number;
  upscalingSpeed: number; nodes: PlanNode[]; launching: Record<string, number>; demands: Demand[];
  placementGroups: { id: string; strategy: 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD'; bundles: Demand[] }[];
  requestedBundles: Demand[]; backoffUntil: Record<string, number>; idleTimeoutMs: Record<string, number>;
  currentLaunchHash: Record<string, string>; now: number; mode: 'ray' | 'improved';
}

/** Nodes to launch per type, nodes to terminate with why, and what stays unfulfilled (and can never be). */
export interface PlanOutput {
  launch: Record<string, number>;
  terminate: Termination[];
  unfulfilled: Demand[]; infeasible: Demand[];
}

/** A node to terminate and why. */
export type Termination = { id: string; reason: 'idle' | 'outdated' | 'max_workers' | 'max_workers_per_type' | 'type_removed' | 'never_registered' };
