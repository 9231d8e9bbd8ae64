// What the head's dashboard routes send (src/head/http/dashboard.ts): the types are the head's own, imported as
// types only, so the page and the head cannot drift apart.
export type { DashboardState } from '../../head/http/dashboard.js';
export type { ActorView, JobView, NodeView, PlacementGroupView, DemandView } from '../../protocol/messages.js';

/** GET /api/cluster/history (the head's last hour, as columns). */
export interface History {
  interval_s: number;
  t: number[];
  series: Record<string, (number | null)[]>;
}

/** A job's output as the stream sends it. */
export interface OutputPiece { stream: 'stdout' | 'stderr'; text: string; at: number | null }
export interface JobExit { state: string; exitCode: number | null }
