import type { ActorCall, TaskSpec } from '../protocol/messages.js';
import { loadArgs, type StoredArg, storeArgs } from './gcs/json-bytes.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';
import { OBJECT_WRITE_WINDOW_MS } from './objects.js';
import { mustLeaveStoreFirst } from './resume-plan.js';

type StoredTask = Omit<TaskSpec, 'args'> & { args: StoredArg[] };
type StoredCall = Omit<ActorCall, 'args'> & { args: StoredArg[] };

/** `seq`: the order the head took the work in, which a restarted head keeps (an actor's calls, per caller). */
type QueuedRecord =
  | { kind: 'task'; seq: number; spec: StoredTask; failures: number }
  | { kind: 'call'; seq: number; call: StoredCall };

const taskKey = (taskId: string) => `t:${taskId}`;
const callKey = (callId: string) => `c:${callId}`;

/**
 * The head's queue in the GCS: tasks (waiting for their arguments or for room) and actor calls (waiting for their
 * actor or their arguments) that no node has been handed. A restarted head runs them, once each (resume-plan.ts).
 *
 * The table is written within the objects' window (OBJECT_WRITE_WINDOW_MS), since work arrives at the rate of the
 * work itself: a record put and deleted within one window (work that went to a node soon after it came, most of
 * it) is never written at all, and the rest costs about ten commits a second, not one per task. What a head
 * killed inside the window loses is the same as for objects: the work it took in that window (the driver then
 * sends such a task again when it may run twice; an actor call or a maxRetries 0 task among it raises
 * ObjectLostError), and the delete of work it handed to a node in that window (a task with maxRetries > 0 may
 * then run a second time; work that may not waits for its delete, mustLeaveStoreFirst).
 */
export class QueuedWork {
  private readonly table: Table<QueuedRecord> | undefined;
  private seq = 0;

  constructor(store?: GcsStore) {
    this.table = store?.table<QueuedRecord>('queued', { writeWithinMs: OBJECT_WRITE_WINDOW_MS });
    for (const r of this.table?.values() ?? []) this.seq = Math.max(this.seq, r.seq + 1);
  }

  /** The tasks a last head left queued, in the order it took them. */
  tasks(): { spec: TaskSpec; failures: number }[] {
    return this.sorted().flatMap((r) => (r.kind === 'task' ? [{ spec: { ...r.spec, args: loadArgs(r.spec.args) }, failures: r.failures }] : []));
  }

  /** The actor calls a last head left queued, in the order it took them. */
  calls(): ActorCall[] {
    return this.sorted().flatMap((r) => (r.kind === 'call' ? [{ ...r.call, args: loadArgs(r.call.args) }] : []));
  }

  private sorted(): QueuedRecord[] {
    return (this.table?.values() ?? []).slice().sort((a, b) => a.seq - b.seq);
  }

  /** A task the head holds (new, or queued again after a failed attempt: `failures` so far). */
  addTask(spec: TaskSpec, failures: number): void {
    if (!this.table) return;
    const rec: QueuedRecord = { kind: 'task', seq: this.seq++, spec: { ...spec, args: storeArgs(spec.args) }, failures };
    writeBehind(this.table.update(taskKey(spec.taskId), () => rec));
  }

  addCall(call: ActorCall): void {
    if (!this.table) return;
    const rec: QueuedRecord = { kind: 'call', seq: this.seq++, call: { ...call, args: storeArgs(call.args) } };
    writeBehind(this.table.update(callKey(call.callId), () => rec));
  }

  /**
   * A task goes to a node: its record goes. Resolves (a promise) when the task must wait for that before it is
   * sent; undefined when it may go at once.
   */
  taskSent(spec: TaskSpec): Promise<void> | undefined {
    return this.remove(taskKey(spec.taskId), spec.maxRetries > 0);
  }

  /** An actor call goes to its actor's node (see taskSent): a call may never run twice. */
  callSent(callId: string): Promise<void> | undefined {
    return this.remove(callKey(callId), false);
  }

  /** A task is no longer the head's to run (finished, cancelled, its job ended, re-reported by its node). */
  taskGone(taskId: string): void {
    void this.remove(taskKey(taskId), true);
  }

  callGone(callId: string): void {
    void this.remove(callKey(callId), true);
  }

  private remove(key: string, mayRunTwice: boolean): Promise<void> | undefined {
    if (this.table?.get(key) === undefined) return undefined;
    const wait = mustLeaveStoreFirst({ written: this.table.written(key), mayRunTwice });
    // What waits for its delete has it written with this turn's batch rather than the window's; the rest stays in
    // the window (a commit per turn would cost the head's event loop a disk sync per placement pass).
    const done = this.table.update(key, () => undefined, { now: wait });
    writeBehind(done);
    return wait ? done : undefined;
  }
}
