import { fromFixed } from '../common/resources.js';
import type { ActorCall, ActorSpec, ActorView, ErrorInfo } from '../protocol/messages.js';
import type { QueuedWork } from './queued-work.js';
import type { Slot } from './slots.js';

/** An actor as the head tracks it (actors.ts), and what is decided from it alone. */

// STOPPING: killed, its process not yet gone; calls made after the kill wait for the restart (or fail with it).
export type ActorState = 'DEPS' | 'PENDING' | 'STARTING' | 'ALIVE' | 'STOPPING' | 'DEAD';

/**
 * `leaving`: its record is being deleted from the store's queue before it goes to its node (QueuedWork.callSent);
 * it and the calls behind it from the same caller wait for that.
 */
export interface CallRecord { call: ActorCall; missing: number; retries: number; attempt: number; leaving?: boolean }

export interface Actor {
  spec: ActorSpec;
  state: ActorState;
  missing: number;
  slot: Slot | undefined;
  nodeId: string | undefined;
  /** Bumped at every (re)start; messages of an older incarnation are ignored. */
  attempt: number;
  restarts: number;
  killed: boolean;
  /** How the kill is told: "was killed", or why (its placement group was removed). */
  killedWhy: string;
  /**
   * Its own job asked for the death under way (kill(), the job's end, removing the actor's group): the job's
   * own decision, so `status` does not list it among failures. Cleared when the actor restarts.
   */
  ownKill: boolean;
  cause: ErrorInfo | undefined;
  /** Per caller, calls not yet delivered, in the order they were made. */
  queues: Map<string, CallRecord[]>;
  inflight: Map<string, CallRecord>;
  /** Order of delivery, to redeliver retried calls in the same order. */
  delivered: string[];
  /** When prune forgets it: set once it is dead and its job has ended. */
  forgetAt: number | undefined;
  /** Loaded from the store on a node whose agent has not reported it yet (a restarted head). */
  resuming?: boolean;
}

/** A new actor record: waiting for its arguments unless told otherwise. */
export function newActor(spec: ActorSpec, o: { state?: ActorState; nodeId?: string; attempt?: number; restarts?: number } = {}): Actor {
  return {
    spec, state: o.state ?? 'DEPS', missing: 0, slot: undefined, nodeId: o.nodeId, attempt: o.attempt ?? 0, restarts: o.restarts ?? 0, killed: false,
    killedWhy: 'was killed', ownKill: false, cause: undefined, queues: new Map(), inflight: new Map(), delivered: [], forgetAt: undefined,
  };
}

export function actorView(a: Actor): ActorView {
  return {
    actorId: a.spec.actorId, cls: a.spec.name, name: a.spec.actorName ?? null, namespace: a.spec.namespace, jobId: a.spec.jobId,
    state: a.state === 'DEAD' ? 'DEAD' : a.state === 'ALIVE' ? 'ALIVE' : a.restarts > 0 || a.state === 'STOPPING' ? 'RESTARTING' : 'PENDING',
    nodeId: a.nodeId ?? null, restarts: a.restarts, resources: fromFixed(a.spec.hold), placementGroupId: a.spec.placement?.pgId ?? null,
  };
}

/**
 * The calls ready at the front of a caller's queue leave the store's queue, all at once (one commit for them all);
 * those whose record was written wait for that (QueuedWork.callSent), and the calls behind them with them, until
 * `left` (which delivers them) is called.
 */
export function leaveStoreInOrder(q: readonly CallRecord[], queue: QueuedWork, left: () => void): void {
  const leaving: CallRecord[] = [];
  const done: Promise<void>[] = [];
  for (const rec of q) {
    if (rec.missing !== 0) break;
    if (rec.leaving) continue;
    const wait = queue.callSent(rec.call.callId);
    if (!wait) continue;
    rec.leaving = true;
    leaving.push(rec);
    done.push(wait);
  }
  if (done.length === 0) return;
  void Promise.all(done).then(() => {
    for (const rec of leaving) rec.leaving = false;
    left();
  }, () => undefined); // a failed write stops the head (main.ts)
}
