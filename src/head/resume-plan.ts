/**
 * What a restarted head does with the work it finds: in its store's queue (queued-work.ts), re-reported by an
 * agent, or neither. Pure: time is passed in.
 */

/**
 * A task or actor call after a restart. Re-reported by an agent: it runs there, and goes on there (even when the
 * store's queue still has it: its record's delete was lost with the last head's write window). Only in the
 * store's queue: the last head never handed it to a node, so this head runs it. Neither: this head knows nothing
 * of it, as before the queue was durable (the driver sends a task again when it may run twice, or raises
 * ObjectLostError).
 */
export type ResumeFate = 'running' | 'run' | 'unknown';

export function resumeFate(o: { reported: boolean; queued: boolean }): ResumeFate {
  if (o.reported) return 'running';
  return o.queued ? 'run' : 'unknown';
}

/**
 * Whether work taken from the queue must wait for its record's delete to be durable before it goes to a node.
 * A record still held in the write window was never written: deleting it writes nothing and nothing waits (the
 * common case, work that queued for less than the window). A written one that may not run twice (an actor call,
 * a task with maxRetries 0) waits for one commit: were its delete lost, a restarted head would find it queued,
 * and, once its node no longer re-reports it (it finished), run it a second time. A task with maxRetries > 0 does
 * not wait (a second run is one API.md allows; a commit per dispatch would cap the head's throughput).
 */
export function mustLeaveStoreFirst(o: { written: boolean; mayRunTwice: boolean }): boolean {
  return o.written && !o.mayRunTwice;
}

/**
 * Whether a restarted head has heard from every node it knew (each re-registered, with its re-report, or was
 * declared dead) or waited long enough for them: only then is what the store's queue holds run, so that nothing
 * a returning agent still runs is started again, and a resumed driver is answered.
 */
export function recoveryOver(o: { now: number; recoverBy: number; nodesAway: number }): boolean {
  return o.now > o.recoverBy || o.nodesAway === 0;
}
