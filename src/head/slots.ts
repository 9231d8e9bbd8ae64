import type { Fixed } from '../common/resources.js';
import type { Candidate } from './scheduler.js';

/**
 * Where work can be placed: a node's free resources, or a placement-group bundle reserved on a node. Tasks and
 * actors are placed on slots; a slot id is a node id or `<pgId>#<bundleIndex>`.
 */
export interface Slots {
  /** Slots a request may use: the live nodes, or the bundles of its placement group. */
  candidates(placement: { pgId: string; bundleIndex: number } | undefined, need?: Fixed): Candidate[];
  acquire(slot: string, need: Fixed): void;
  release(slot: string, need: Fixed): void;
  /** The node a slot is on (undefined: the slot is gone). */
  nodeOf(slot: string): string | undefined;
}
