import { type Fixed, formatResources, fromFixed, shapeKey } from '../common/resources.js';
import { errorInfo } from '../protocol/error-info.js';
import type { DemandView, ErrorInfo, MessageOf, ObjectValue, TaskSpec } from '../protocol/messages.js';
import type { Slot, Slots } from './slots.js';
import type { NodeTable } from './nodes.js';
import type { ObjectDirectory } from './objects.js';
import type { QueuedWork } from './queued-work.js';
import { resumeFate } from './resume-plan.js';
import { feasibleOn, pickBest } from './scheduler.js';

export interface TaskHost {
  objects: ObjectDirectory;
  nodes: NodeTable;
  slots: Slots;
  runOn(nodeId: string, m: MessageOf<'task.run'>): void;
  /** Stops a running task by killing its worker process (cancel with force). */
  kill(nodeId: string, taskId: string): void;
  warn(client: string, message: string): void;
  failed(f: { kind: ErrorInfo['kind']; what: string; message: string; nodeId: string }): void;
  /** Resources came back (a task ended or blocked): actors and placement groups waiting for room may fit now. */
  freed(): void;
  /** The node types of the config: what could ever run here. */
  nodeTypes(): { name: string; resources: Fixed }[];
  /** The queue's durable copy (absent: nothing is kept). */
  queue?: QueuedWork;
}

type State = 'waiting' | 'queued' | 'running';

interface TaskRecord {
  spec: TaskSpec;
  state: State;
  attempt: number;
  /** Where it runs: a node, or a placement-group bundle on `nodeId`. */
  slot: Slot | undefined;
  nodeId: string | undefined;
  blocked: boolean;
  missing: number;
  failures: number;
  /** Found in the store's queue by a restarted head: held until every node it knew has re-reported (runRestored). */
  restored: boolean;
  /** Placed on its node, and sent there once its record is out of the store's queue (QueuedWork.taskSent). */
  sending: boolean;
}

/** FIFO with O(1) shift. */
class Queue<T> {
  private items: T[] = [];
  private start = 0;
  push(x: T): void { this.items.push(x); }
  shift(): T | undefined {
    if (this.start >= this.items.length) return undefined;
    const x = this.items[this.start++];
    if (this.start > 1024 && this.start * 2 > this.items.length) {
      this.items = this.items.slice(this.start);
      this.start = 0;
    }
    return x;
  }
  peek(): T | undefined { return this.items[this.start]; }
  get length(): number { return this.items.length - this.start; }
  filterInPlace(keep: (x: T) => boolean): void {
    this.items = this.items.slice(this.start).filter(keep);
    this.start = 0;
  }
}

const cpuOnly = (need: Fixed): Fixed => (need.CPU ? { CPU: need.CPU } : {});
const withoutCpu = (need: Fixed): Fixed => Object.fromEntries(Object.entries(need).filter(([k]) => k !== 'CPU'));

/**
 * Every task from submission to result: waits for its dependencies, queues by resource shape, is placed on a
 * node with room, and is retried when its worker process or node dies. Work that fits no node now waits as a
 * pending demand; work no node type could ever run is reported to its driver as infeasible.
 */
export class TaskManager {
  private readonly tasks = new Map<string, TaskRecord>();
  private readonly queues = new Map<string, { need: Fixed; queue: Queue<TaskRecord> }>();
  private readonly warned = new Set<string>();
  private readonly byReturn = new Map<string, string>();
  private readonly children = new Map<string, Set<string>>();
  private scheduled = false;
  finished = 0;
  failed = 0;

  constructor(private readonly host: TaskHost) {}

  submit(spec: TaskSpec): void {
    if (this.tasks.has(spec.taskId)) return;
    const rec: TaskRecord = {
      spec, state: 'waiting', attempt: 0, slot: undefined, nodeId: undefined, blocked: false, missing: 0, failures: 0, restored: false, sending: false,
    };
    this.track(rec);
    this.host.queue?.addTask(spec, 0);
    this.admit(rec);
  }

  /**
   * The tasks a last head left in the store's queue, never handed to a node: known (their results expected, so a
   * resumed driver does not send them again) but not run until runRestored.
   */
  restore(): void {
    for (const { spec, failures } of this.host.queue?.tasks() ?? []) {
      if (this.tasks.has(spec.taskId)) continue;
      this.track({ spec, state: 'waiting', attempt: 0, slot: undefined, nodeId: undefined, blocked: false, missing: 0, failures, restored: true, sending: false });
      this.host.objects.subscribe(spec.owner, spec.returnId);
    }
  }

  /** Every node the restarted head knew has re-reported (or its grace is over): the restored tasks none runs, run. */
  runRestored(): void {
    for (const rec of [...this.tasks.values()]) {
      // A restored task an agent re-reported was taken as running there (resume): it is no longer restored.
      if (resumeFate({ reported: rec.state === 'running', queued: rec.restored }) !== 'run') continue;
      rec.restored = false;
      this.admit(rec);
    }
  }

  /** Waits for a task's arguments, then queues it. */
  private admit(rec: TaskRecord): void {
    const { spec } = rec;
    const deps = [...new Set(spec.deps)];
    rec.missing = deps.length;
    for (const dep of deps) {
      this.host.objects.whenSet(dep, () => {
        rec.missing -= 1;
        if (rec.missing === 0 && rec.state === 'waiting' && this.tasks.get(spec.taskId) === rec) this.depsReady(rec);
      });
    }
    if (deps.length === 0) this.depsReady(rec);
  }

  /**
   * A task its node's agent still runs, re-reported after the agent registered again. A restarted head knows no
   * task (they are not durable): it takes it as running there, holding its resources there, and retries it if
   * the node dies later. Its failures so far are not known: each attempt but this one counts as failed, so it is
   * never run more often than maxRetries allows. A head that knows the task (the link broke, the head did not
   * restart, and the task was retried elsewhere) answers false: that copy is stale.
   */
  resume(spec: TaskSpec, attempt: number, nodeId: string): boolean {
    const known = this.tasks.get(spec.taskId);
    if (known && !known.restored) return known.state === 'running' && known.nodeId === nodeId && known.attempt === attempt;
    // Restored from the store's queue and re-reported (sent by the last head in its final write window), or unknown.
    this.host.queue?.taskGone(spec.taskId);
    const slot: Slot = (spec.placement && this.host.slots.candidates(spec.placement).find((c) => c.nodeId === nodeId)?.slot) || { kind: 'node', nodeId };
    const rec: TaskRecord = {
      spec, state: 'running', attempt, slot, nodeId, blocked: false, missing: 0, failures: Math.min(Math.max(0, attempt - 1), spec.maxRetries),
      restored: false, sending: false,
    };
    this.track(rec);
    this.host.slots.acquire(slot, spec.resources);
    return true;
  }

  /** A new task record, indexed by its id, its return id and its parent; its return is expected for its job. */
  private track(rec: TaskRecord): void {
    const { spec } = rec;
    this.tasks.set(spec.taskId, rec);
    this.byReturn.set(spec.returnId, spec.taskId);
    if (spec.parent) {
      const kids = this.children.get(spec.parent) ?? new Set();
      kids.add(spec.taskId);
      this.children.set(spec.parent, kids);
    }
    this.host.objects.expect(spec.returnId, spec.jobId);
  }

  /** A failed (or lost) argument fails the task with the same error, without running it. */
  private failedDep(rec: TaskRecord): ObjectValue | undefined {
    for (const dep of rec.spec.deps) {
      const v = this.host.objects.get(dep);
      if (v?.kind === 'error') return v;
    }
    return undefined;
  }

  private depsReady(rec: TaskRecord): void {
    const failed = this.failedDep(rec);
    if (failed) return this.finish(rec, failed);
    this.enqueue(rec);
  }

  private enqueue(rec: TaskRecord): void {
    // Queued again after an attempt (a failure, its node drained, or never sent): back in the store's queue.
    if (rec.attempt > 0) this.host.queue?.addTask(rec.spec, rec.failures);
    rec.state = 'queued';
    rec.nodeId = undefined;
    rec.slot = undefined;
    rec.sending = false;
    const key = rec.spec.placement ? `${rec.spec.placement.pgId}#${rec.spec.placement.bundleIndex}|${shapeKey(rec.spec.resources)}` : shapeKey(rec.spec.resources);
    let q = this.queues.get(key);
    if (!q) {
      q = { need: rec.spec.resources, queue: new Queue() };
      this.queues.set(key, q);
    }
    q.queue.push(rec);
    if (!rec.spec.placement) this.checkFeasible(rec);
    this.schedule();
  }

  private checkFeasible(rec: TaskRecord): void {
    const { spec } = rec;
    const types = this.host.nodeTypes();
    const shapes = [...types.map((t) => t.resources), ...this.host.nodes.alive().map((n) => n.total)];
    if (feasibleOn(shapes, spec.resources)) return;
    const key = `${spec.jobId}|${shapeKey(spec.resources)}`;
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.host.warn(spec.owner, `task ${spec.name} needs ${formatResources(fromFixed(spec.resources))}, which no node type of this cluster offers `
      + `(${types.map((t) => `${t.name} ${formatResources(fromFixed(t.resources))}`).join(', ')}); it waits until the cluster can run it`);
  }

  /** Places queued work on the next turn of the event loop (many submissions, one pass), or sooner via placeNow. */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.placeNow());
  }

  /** Runs a pass that schedule() asked for, now: the head calls this once it has handled a whole frame. */
  placeNow(): void {
    if (!this.scheduled) return;
    this.scheduled = false;
    this.placeAll();
  }

  private placeAll(): void {
    for (const [key, q] of this.queues) {
      // Skip what was cancelled while queued, so it does not hold the queue's place.
      while (q.queue.length > 0 && this.stale(q.queue.peek() as TaskRecord)) q.queue.shift();
      const first = q.queue.peek();
      if (first) {
        const candidates = this.host.slots.candidates(first.spec.placement, q.need);
        while (q.queue.length > 0) {
          const c = pickBest(candidates, q.need);
          const nodeId = c === undefined ? undefined : this.host.slots.nodeOf(c.slot);
          if (c === undefined || nodeId === undefined) break;
          const rec = q.queue.shift() as TaskRecord;
          if (this.stale(rec)) continue;
          this.dispatch(rec, c.slot, nodeId);
          c.available = this.slotAvailable(c.available, q.need);
        }
      }
      if (q.queue.length === 0) this.queues.delete(key);
    }
  }

  private stale(rec: TaskRecord): boolean {
    return rec.state !== 'queued' || this.tasks.get(rec.spec.taskId) !== rec;
  }

  private slotAvailable(avail: Fixed, need: Fixed): Fixed {
    const out: Record<string, number> = { ...avail };
    for (const k in need) out[k] = (out[k] ?? 0) - (need[k] ?? 0);
    return out;
  }

  private dispatch(rec: TaskRecord, slot: Slot, nodeId: string): void {
    const failed = this.failedDep(rec); // an argument may have been lost since it was ready
    if (failed) return this.finish(rec, failed);
    this.host.slots.acquire(slot, rec.spec.resources);
    rec.state = 'running';
    rec.slot = slot;
    rec.nodeId = nodeId;
    rec.attempt += 1;
    const leaving = this.host.queue?.taskSent(rec.spec);
    if (!leaving) return this.send(rec);
    rec.sending = true;
    const { attempt } = rec;
    void leaving.then(() => {
      if (this.running(rec.spec.taskId, attempt) === rec && rec.sending) this.send(rec);
    }, () => undefined); // a failed write stops the head (main.ts)
  }

  private send(rec: TaskRecord): void {
    rec.sending = false;
    if (rec.nodeId === undefined) return;
    const deps = this.host.objects.valuesOf(rec.spec.deps);
    this.host.runOn(rec.nodeId, { type: 'task.run', task: rec.spec, attempt: rec.attempt, deps });
  }

  private running(taskId: string, attempt: number): TaskRecord | undefined {
    const rec = this.tasks.get(taskId);
    return rec && rec.state === 'running' && rec.attempt === attempt ? rec : undefined;
  }

  private releaseOf(rec: TaskRecord): void {
    if (rec.slot !== undefined) this.host.slots.release(rec.slot, rec.blocked ? withoutCpu(rec.spec.resources) : rec.spec.resources);
    rec.blocked = false;
    this.host.freed();
  }

  done(taskId: string, attempt: number, value: ObjectValue): void {
    const rec = this.running(taskId, attempt);
    if (!rec) return;
    this.releaseOf(rec);
    if (value.kind === 'error' && value.error.kind === 'task' && rec.spec.retryExceptions && rec.failures < rec.spec.maxRetries) {
      rec.failures += 1;
      return this.enqueue(rec);
    }
    this.finish(rec, value);
  }

  /** Its worker process died (or its node did): retry within maxRetries, then fail with WorkerCrashedError. */
  crashed(taskId: string, attempt: number, reason: string, pid: number): void {
    const rec = this.running(taskId, attempt);
    if (!rec) return;
    const nodeId = rec.nodeId ?? '';
    this.releaseOf(rec); // nothing to give back when its node died (no slot)
    if (rec.sending) return this.enqueue(rec); // never sent: nothing failed
    if (rec.failures < rec.spec.maxRetries) {
      rec.failures += 1;
      return this.enqueue(rec);
    }
    this.finish(rec, { kind: 'error', error: this.errorInfo(rec, 'crashed', 'WorkerCrashedError',
      `task ${rec.spec.name} failed ${rec.failures + 1} ${rec.failures === 0 ? 'time' : 'times'}: its worker process ${reason}`, nodeId, pid) });
  }

  blocked(taskId: string): void {
    const rec = this.tasks.get(taskId);
    if (!rec || rec.state !== 'running' || rec.blocked || rec.slot === undefined) return;
    rec.blocked = true;
    this.host.slots.release(rec.slot, cpuOnly(rec.spec.resources));
    this.host.freed();
  }

  unblocked(taskId: string): void {
    const rec = this.tasks.get(taskId);
    if (!rec || rec.state !== 'running' || !rec.blocked || rec.slot === undefined) return;
    rec.blocked = false;
    this.host.slots.acquire(rec.slot, cpuOnly(rec.spec.resources));
  }

  /** A node died: its running tasks are retried elsewhere. */
  nodeDied(nodeId: string): void {
    for (const rec of [...this.tasks.values()]) {
      if (rec.state === 'running' && rec.nodeId === nodeId) {
        rec.slot = undefined; // its resources went with the node
        this.crashed(rec.spec.taskId, rec.attempt, 'was lost with its node', 0);
      }
    }
  }

  /**
   * A node is about to go (a spot interruption notice): the tasks sent to it, running or waiting there for a
   * worker process, are queued again for other nodes, and stopped there. Not counted against max_retries: nothing
   * failed, the work moved before the node went. Returns the ids moved.
   */
  moveOff(nodeId: string): string[] {
    const moved: string[] = [];
    for (const rec of [...this.tasks.values()]) {
      if (rec.state !== 'running' || rec.nodeId !== nodeId) continue;
      rec.slot = undefined; // the draining node's resources are not offered again
      rec.blocked = false;
      this.host.kill(nodeId, rec.spec.taskId);
      this.enqueue(rec);
      moved.push(rec.spec.taskId);
    }
    return moved;
  }

  /**
   * cancel(ref): a queued task is removed; a running one is stopped only with `force` (its worker process is
   * killed). Either way get() rejects with TaskCancelledError. `recursive` also cancels the tasks it submitted.
   */
  /** The job and, while it runs, the node of the task with this id or result id (what may report on it or cancel it). */
  owner(id: string): { jobId: string; nodeId: string | undefined } | undefined {
    const rec = this.tasks.get(this.byReturn.get(id) ?? id);
    return rec ? { jobId: rec.spec.jobId, nodeId: rec.state === 'running' ? rec.nodeId : undefined } : undefined;
  }

  cancel(returnId: string, force: boolean, recursive: boolean): boolean {
    const taskId = this.byReturn.get(returnId);
    const rec = taskId ? this.tasks.get(taskId) : undefined;
    if (!taskId) return false;
    const kids = recursive ? [...(this.children.get(taskId) ?? [])] : [];
    if (rec) {
      if (rec.state === 'running') {
        this.releaseOf(rec);
        if (force && rec.nodeId) this.host.kill(rec.nodeId, rec.spec.taskId);
      }
      this.finish(rec, { kind: 'error', error: this.errorInfo(rec, 'cancelled', 'TaskCancelledError', `task ${rec.spec.name} was cancelled`, rec.nodeId ?? '', 0) });
    }
    for (const child of kids) {
      const c = this.tasks.get(child);
      if (c) this.cancel(c.spec.returnId, force, true);
    }
    return true;
  }

  /** Its placement group was removed: the group's tasks are cancelled, running ones stopped (Ray's semantics). */
  cancelGroup(pgId: string, why: string): void {
    for (const rec of [...this.tasks.values()]) {
      if (rec.spec.placement?.pgId !== pgId) continue;
      if (rec.state === 'running') {
        this.releaseOf(rec);
        if (rec.nodeId) this.host.kill(rec.nodeId, rec.spec.taskId);
      }
      this.finish(rec, { kind: 'error', error: this.errorInfo(rec, 'cancelled', 'TaskCancelledError', `task ${rec.spec.name} was cancelled: ${why}`, rec.nodeId ?? '', 0) });
    }
  }

  /** A job ended: its unfinished tasks end with an error, and their resources come back. */
  cancelJob(jobId: string): void {
    for (const rec of [...this.tasks.values()]) {
      if (rec.spec.jobId !== jobId) continue;
      if (rec.state === 'running') this.releaseOf(rec);
      this.forget(rec);
    }
    for (const q of this.queues.values()) q.queue.filterInPlace((r) => r.spec.jobId !== jobId);
  }

  private forget(rec: TaskRecord): void {
    this.host.queue?.taskGone(rec.spec.taskId);
    this.tasks.delete(rec.spec.taskId);
    this.byReturn.delete(rec.spec.returnId);
    this.children.delete(rec.spec.taskId);
    if (rec.spec.parent) this.children.get(rec.spec.parent)?.delete(rec.spec.taskId);
  }

  private finish(rec: TaskRecord, value: ObjectValue): void {
    this.forget(rec);
    if (value.kind === 'error') {
      this.failed += 1;
      this.host.failed({ kind: value.error.kind, what: rec.spec.name, message: value.error.message, nodeId: value.error.nodeId || (rec.nodeId ?? '') });
    } else {
      this.finished += 1;
    }
    this.host.objects.set(rec.spec.returnId, value, rec.spec.jobId);
  }

  private errorInfo(rec: TaskRecord, kind: ErrorInfo['kind'], name: string, message: string, nodeId: string, pid: number): ErrorInfo {
    return errorInfo({ kind, name, message, taskName: rec.spec.name, nodeId, pid, ...(kind === 'crashed' ? { attempts: rec.failures + 1 } : {}) });
  }

  demands(): DemandView[] {
    const shapes = this.host.nodeTypes().map((t) => t.resources);
    const out: DemandView[] = [];
    for (const q of this.queues.values()) {
      const first = q.queue.peek();
      // Work inside a placement group waits for its bundles, not for new nodes.
      if (first && !first.spec.placement) out.push({ resources: fromFixed(q.need), count: q.queue.length, infeasible: !feasibleOn(shapes, q.need), source: 'task' });
    }
    return out;
  }

  /** Tasks running now, by node (the dashboard's node page). */
  runningByNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.tasks.values()) if (r.state === 'running' && r.nodeId !== undefined) out.set(r.nodeId, (out.get(r.nodeId) ?? 0) + 1);
    return out;
  }

  counts(): { pending: number; running: number; finished: number; failed: number } {
    let pending = 0;
    let running = 0;
    for (const r of this.tasks.values()) {
      if (r.state === 'running') running += 1;
      else pending += 1;
    }
    return { pending, running, finished: this.finished, failed: this.failed };
  }
}
