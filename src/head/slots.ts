import type { Fixed } from '../common/resources.js';
import type { Candidate } from './scheduler.js';

/**
 * Where work can be placed: a node's free resources, or a placement-group bundle reserved on a node. Tasks and
 * actors hold the slot they were placed on, and give their resources back to it.
 */
export type Slot = { kind: 'node'; nodeId: string } | { kind: 'bundle'; pgId: string; index: number };
export type NodeSlot = Extract<Slot, { kind: 'node' }>;
export type BundleSlot = Extract<Slot, { kind: 'bundle' }>;

/** A slot as placement sees it; `nodeId` is the node the slot is on. */
export interface SlotCandidate extends Candidate {
  slot: Slot;
}

export interface Slots {
  /** Slots a request may use: the live nodes, or the bundles of its placement group. */
  candidates(placement: { pgId: string; bundleIndex: number } | undefined, need?: Fixed): SlotCandidate[];
  acquire(slot: Slot, need: Fixed): void;
  release(slot: Slot, need: Fixed): void;
  /** The node a slot is on (undefined: the slot is gone). */
  nodeOf(slot: Slot): string | undefined;
}
