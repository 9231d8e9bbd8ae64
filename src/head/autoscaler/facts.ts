import type { Demand } from './resources.js';

/** What the head knows, gathered once per tick (Head.autoscalerFacts()). */
export interface ClusterFacts {
  /** Registered nodes: resources, liveness and last use. */
  nodes: {
    nodeId: string; nodeType: string; kind: 'head' | 'worker'; alive: boolean; total: Record<string, number>; available: Record<string, number>;
    lastUsedAt: number; registeredAt: number;
    /** When it was marked dead (set only for dead nodes). */
    diedAt?: number;
    /** What keeps it from being idle now, if anything: running work, an actor, objects a job may need. */
    busy?: string;
    /** Set when it drains though the autoscaler did not choose it (a spot interruption notice): it counts as going. */
    drainReason?: string;
  }[];
  demands: Demand[];
  placementGroups: { id: string; strategy: 'PACK' | 'SPREAD' | 'STRICT_PACK' | 'STRICT_SPREAD'; bundles: Demand[] }[];
  requested: Demand[];
}
