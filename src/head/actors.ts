import type { Fixed } from '../common/resources.js';
import { errorInfo } from '../protocol/error-info.js';
import type { ActorCall, ActorRef, ActorSpec, ActorView, ErrorInfo, Message, ObjectValue, ResumedActor } from '../protocol/messages.js';
import { type Actor, actorView, type CallRecord, leaveStoreInOrder, newActor } from './actor-record.js';
import { loadSpec, type StoredActorSpec, storeSpec } from './gcs/json-bytes.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';
import type { ObjectDirectory } from './objects.js';
import type { QueuedWork } from './queued-work.js';
import { pickBest } from './scheduler.js';
import type { Slots } from './slots.js';

export interface ActorHost {
  objects: ObjectDirectory;
  slots: Slots;
  send(nodeId: string, m: Message): void;
  failed(f: { kind: ErrorInfo['kind']; what: string; message: string; nodeId: string }): void;
  /** Placement may have changed (an actor left a node): queued tasks may fit now. */
  resourcesFreed(): void;
  /** The queue's durable copy (absent: nothing is kept). */
  queue?: QueuedWork;
}

/**
 * What the GCS keeps of a live actor, written behind (create, placement, start, restart; deleted once it is dead):
 * an actor created just before the head died is still re-reported by its node's agent if it started, and one
 * whose record is lost before it started is lost. A restarted head loads each
 * as waiting for its node's agent (head_reconnect_timeout_s): reported, it runs on with its state; not reported
 * (or its node never back), it restarts within max_restarts like an actor whose node died. The calls it had not
 * been given yet are in the store's queue (queued-work.ts) and wait for it again, in their order.
 */
interface DurableActor {
  spec: StoredActorSpec;
  /** Placed on `nodeId` (starting or alive there), or waiting for a node. */
  placed: boolean;
  nodeId: string | null;
  attempt: number;
  restarts: number;
}

const nsKey = (namespace: string, name: string) => `${namespace}\u0000${name}`;

/**
 * Every actor from creation to death: placed on a node (1 CPU to place, `numCpus` held), started in a worker
 * process of its own, its calls delivered per caller in submission order, restarted after its process or node
 * dies (up to maxRestarts), its in-flight calls retried (maxTaskRetries) or failed with ActorDiedError.
 */
export class ActorManager {
  private readonly actors = new Map<string, Actor>();
  private readonly names = new Map<string, string>();
  private readonly callIndex = new Map<string, string>(); // returnId → actorId, for cancel
  /** Jobs that ended: their dead actors are no longer of use to anyone (prune). */
  private readonly endedJobs = new Set<string>();

  private readonly table: Table<DurableActor> | undefined;

  constructor(private readonly host: ActorHost, store?: GcsStore) {
    this.table = store?.table<DurableActor>('actors');
    for (const d of this.table?.values() ?? []) this.load(d);
    for (const call of host.queue?.calls() ?? []) {
      this.call(call, true);
      this.host.objects.subscribe(call.owner, call.returnId);
    }
  }

  /** A live actor as the store has it: placed ones wait for their node's agent, the others for a node. */
  private load(d: DurableActor): void {
    const spec = loadSpec(d.spec);
    const a = newActor(spec, { attempt: d.attempt, restarts: d.restarts });
    this.actors.set(spec.actorId, a);
    if (spec.actorName !== undefined) this.names.set(nsKey(spec.namespace, spec.actorName), spec.actorId);
    if (d.placed && d.nodeId !== null) {
      a.state = 'STARTING';
      a.nodeId = d.nodeId;
      a.resuming = true;
      return;
    }
    this.waitForDeps(a);
  }

  private persist(a: Actor): void {
    if (!this.table) return;
    const id = a.spec.actorId;
    if (a.state === 'DEAD') return writeBehind(this.table.update(id, (prev) => (prev ? undefined : prev)));
    const placed = a.state === 'STARTING' || a.state === 'ALIVE' || a.state === 'STOPPING';
    writeBehind(this.table.update(id, (prev) => ({
      spec: prev?.spec ?? storeSpec(a.spec), placed, nodeId: placed ? a.nodeId ?? null : null, attempt: a.attempt, restarts: a.restarts,
    })));
  }

  /**
   * An actor its node's agent still hosts, re-reported after the agent registered again, with the calls it was
   * given and has not answered. A restarted head takes it (from its store, or from the report alone) as running
   * there, its state intact. False when this head placed the actor elsewhere or restarted it since (the report
   * is stale: the caller stops that copy).
   */
  resume(r: ResumedActor, nodeId: string): boolean {
    const known = this.actors.get(r.actor.actorId);
    if (known && !(known.resuming && known.nodeId === nodeId && known.attempt === r.attempt)) {
      return known.state !== 'DEAD' && known.nodeId === nodeId && known.attempt === r.attempt;
    }
    const a = known ?? newActor(r.actor, { state: 'STARTING', nodeId, attempt: r.attempt });
    if (!known) {
      this.actors.set(a.spec.actorId, a);
      const key = a.spec.actorName === undefined ? undefined : nsKey(a.spec.namespace, a.spec.actorName);
      if (key !== undefined && !this.names.has(key)) this.names.set(key, a.spec.actorId);
    }
    a.resuming = false;
    const c = this.host.slots.candidates(a.spec.placement).find((x) => x.nodeId === nodeId);
    a.slot = c?.slot ?? { kind: 'node', nodeId };
    this.host.slots.acquire(a.slot, a.spec.hold);
    for (const { call, attempt } of r.calls) {
      if (a.inflight.has(call.callId)) continue;
      this.unqueue(a, call.callId); // restored from the store's queue, though the last head had sent it
      a.inflight.set(call.callId, { call, missing: 0, retries: 0, attempt });
      a.delivered.push(call.callId);
      this.callIndex.set(call.returnId, call.actorId);
      this.host.objects.expect(call.returnId, call.jobId);
      this.host.objects.subscribe(call.owner, call.returnId);
    }
    a.state = r.ready ? 'ALIVE' : 'STARTING';
    this.persist(a);
    this.pump(a);
    return true;
  }

  /**
   * A node's agent has re-reported what it hosts: the actors this restarted head loaded on that node and the
   * agent did not report are gone with their processes (restarted within max_restarts).
   */
  resumed(nodeId: string): void {
    for (const a of [...this.actors.values()]) {
      if (a.resuming && a.nodeId === nodeId) {
        a.resuming = false;
        this.died(a.spec.actorId, a.attempt, 'was no longer running on its node when its agent reconnected to the restarted head');
      }
    }
  }

  private error(a: Actor, kind: ErrorInfo['kind'], name: string, message: string): ErrorInfo {
    return errorInfo({ kind, name, message, taskName: a.spec.name, nodeId: a.nodeId ?? '', actorId: a.spec.actorId, actorName: a.spec.actorName, namespace: a.spec.namespace });
  }

  create(spec: ActorSpec): void {
    if (this.actors.has(spec.actorId)) return;
    const a = newActor(spec);
    this.actors.set(spec.actorId, a);
    if (spec.actorName !== undefined) {
      const key = nsKey(spec.namespace, spec.actorName);
      const holder = this.names.get(key);
      if (holder && this.actors.get(holder)?.state !== 'DEAD') {
        return this.die(a, this.error(a, 'name-taken', 'ActorNameTakenError',
          `an actor named "${spec.actorName}" already exists in namespace "${spec.namespace}"`));
      }
      this.names.set(key, spec.actorId);
    }
    this.persist(a);
    this.waitForDeps(a);
  }

  private waitForDeps(a: Actor): void {
    const deps = [...new Set(a.spec.deps)];
    a.missing = deps.length;
    for (const dep of deps) {
      this.host.objects.whenSet(dep, () => {
        a.missing -= 1;
        if (a.missing === 0 && a.state === 'DEPS') this.depsReady(a);
      });
    }
    if (deps.length === 0) this.depsReady(a);
  }

  private depsReady(a: Actor): void {
    for (const dep of a.spec.deps) {
      const v = this.host.objects.get(dep);
      if (v?.kind === 'error') {
        return this.die(a, this.error(a, 'actor-died', 'ActorDiedError', `actor ${a.spec.name} could not be created: its argument failed: ${v.error.message}`));
      }
    }
    a.state = 'PENDING';
    this.place();
  }

  /** Places every actor waiting for a node. Called when resources change. */
  place(): void {
    for (const a of this.actors.values()) {
      if (a.state !== 'PENDING') continue;
      const c = pickBest(this.host.slots.candidates(a.spec.placement), a.spec.place);
      const nodeId = c === undefined ? undefined : this.host.slots.nodeOf(c.slot);
      if (c === undefined || nodeId === undefined) continue;
      this.host.slots.acquire(c.slot, a.spec.hold);
      a.slot = c.slot;
      a.nodeId = nodeId;
      a.state = 'STARTING';
      a.attempt += 1;
      this.persist(a);
      const deps = this.host.objects.valuesOf(a.spec.deps);
      this.host.send(nodeId, { type: 'actor.start', actor: a.spec, attempt: a.attempt, deps });
    }
  }

  ready(actorId: string, attempt: number): void {
    const a = this.actors.get(actorId);
    if (!a || a.attempt !== attempt || a.state !== 'STARTING') return;
    a.state = 'ALIVE';
    // Retried calls go first, in their original order (not those this incarnation has already: an actor resumed
    // before its constructor returned was given its calls by the last head).
    for (const callId of a.delivered) {
      const rec = a.inflight.get(callId);
      if (rec && rec.attempt !== a.attempt) this.deliver(a, rec);
    }
    this.pump(a);
  }

  /** The constructor threw: the actor is dead, and every call says why. */
  startFailed(actorId: string, attempt: number, error: ErrorInfo): void {
    const a = this.actors.get(actorId);
    if (!a || a.attempt !== attempt) return;
    this.releaseSlot(a);
    this.die(a, errorInfo({ ...error, kind: 'actor-died', name: 'ActorDiedError', message: `actor ${a.spec.name} failed in its constructor: ${error.name}: ${error.message}\n${error.stack}`, actorId: a.spec.actorId }));
  }

  /** `restored`: a call a last head left in the store's queue (its record is there already). */
  call(call: ActorCall, restored = false): void {
    const a = this.actors.get(call.actorId);
    this.callIndex.set(call.returnId, call.actorId);
    if (restored && (!a || a.state === 'DEAD')) this.host.queue?.callGone(call.callId);
    if (!a) {
      return this.host.objects.set(call.returnId, { kind: 'error', error: errorInfo({ kind: 'actor-died', name: 'ActorDiedError', message: `actor ${call.actorId} does not exist`, taskName: call.method, actorId: call.actorId }) }, call.jobId);
    }
    if (a.state === 'DEAD') return this.failCall(a, call);
    this.host.objects.expect(call.returnId, call.jobId);
    const rec: CallRecord = { call, missing: 0, retries: 0, attempt: 0 };
    const q = a.queues.get(call.owner) ?? [];
    q.push(rec);
    a.queues.set(call.owner, q);
    if (!restored) this.host.queue?.addCall(call);
    const deps = [...new Set(call.deps)];
    rec.missing = deps.length;
    for (const dep of deps) {
      this.host.objects.whenSet(dep, () => {
        rec.missing -= 1;
        if (rec.missing === 0) this.pump(a);
      });
    }
    this.pump(a);
  }

  /**
   * Delivers, per caller, the calls at the front of the queue whose arguments are ready and whose record is out of
   * the store's queue: order is kept.
   */
  private pump(a: Actor): void {
    if (a.state !== 'ALIVE') return;
    for (const q of a.queues.values()) {
      if (this.host.queue) leaveStoreInOrder(q, this.host.queue, () => this.pump(a));
      while (q.length > 0 && (q[0] as CallRecord).missing === 0 && !(q[0] as CallRecord).leaving) {
        const rec = q.shift() as CallRecord;
        const failedDep = rec.call.deps.map((d) => this.host.objects.get(d)).find((v) => v?.kind === 'error');
        if (failedDep?.kind === 'error') {
          this.host.objects.set(rec.call.returnId, failedDep, rec.call.jobId);
          continue;
        }
        a.inflight.set(rec.call.callId, rec);
        a.delivered.push(rec.call.callId);
        this.deliver(a, rec);
      }
    }
  }

  /** Takes a call out of its caller's queue (its record out of the store's queue too). */
  private unqueue(a: Actor, callId: string): CallRecord | undefined {
    for (const q of a.queues.values()) {
      const i = q.findIndex((r) => r.call.callId === callId);
      if (i < 0) continue;
      const [rec] = q.splice(i, 1);
      this.host.queue?.callGone(callId);
      return rec;
    }
    return undefined;
  }

  private deliver(a: Actor, rec: CallRecord): void {
    if (!a.nodeId) return;
    rec.attempt = a.attempt;
    const deps = this.host.objects.valuesOf(rec.call.deps);
    this.host.send(a.nodeId, { type: 'actor.run', call: rec.call, attempt: a.attempt, deps });
  }

  done(callId: string, actorId: string, attempt: number, value: ObjectValue): void {
    const a = this.actors.get(actorId);
    const rec = a?.inflight.get(callId);
    if (!a || !rec || rec.attempt !== attempt) return;
    a.inflight.delete(callId);
    if (a.delivered[0] === callId) a.delivered.shift();
    else a.delivered = a.delivered.filter((c) => c !== callId);
    if (value.kind === 'error') this.host.failed({ kind: value.error.kind, what: `${a.spec.name}.${rec.call.method}`, message: value.error.message, nodeId: a.nodeId ?? '' });
    this.host.objects.set(rec.call.returnId, value, rec.call.jobId);
  }

  /** Its worker process (or node) died: restart within maxRestarts, retry in-flight calls within maxTaskRetries. */
  died(actorId: string, attempt: number, reason: string): void {
    const a = this.actors.get(actorId);
    if (!a || a.attempt !== attempt || a.state === 'DEAD') return;
    this.releaseSlot(a);
    const message = a.killed ? `actor ${a.spec.name} ${a.killedWhy}` : `actor ${a.spec.name} died: its worker process ${reason}`;
    for (const callId of [...a.delivered]) {
      const rec = a.inflight.get(callId);
      if (!rec) continue;
      if (rec.retries < a.spec.maxTaskRetries && !a.killed) {
        rec.retries += 1;
        continue;
      }
      a.inflight.delete(callId);
      this.failCall(a, rec.call, message);
    }
    a.delivered = a.delivered.filter((c) => a.inflight.has(c));
    const restartsLeft = a.spec.maxRestarts < 0 || a.restarts < a.spec.maxRestarts;
    if (a.killed || !restartsLeft) return this.die(a, this.error(a, 'actor-died', 'ActorDiedError', message), !a.ownKill);
    a.restarts += 1;
    if (!a.ownKill) {
      this.host.failed({ kind: 'actor-died', what: a.spec.name, message: `${message}; restarting (${a.restarts}/${a.spec.maxRestarts < 0 ? '∞' : a.spec.maxRestarts})`, nodeId: a.nodeId ?? '' });
    }
    a.ownKill = false;
    a.state = 'PENDING';
    a.nodeId = undefined;
    this.persist(a);
    this.place();
  }

  nodeDied(nodeId: string): void {
    for (const a of this.actors.values()) {
      if (a.nodeId === nodeId && (a.state === 'STARTING' || a.state === 'ALIVE' || a.state === 'STOPPING')) {
        a.slot = undefined; // its resources went with the node
        this.died(a.spec.actorId, a.attempt, 'was lost with its node');
      }
    }
  }

  /**
   * A node is about to go (a spot interruption notice): its actors are stopped there and restarted elsewhere now,
   * as on the node's death (each restart counts against max_restarts), while the node still runs.
   */
  moveOff(nodeId: string): void {
    for (const a of this.actors.values()) {
      if (a.nodeId !== nodeId || !(a.state === 'STARTING' || a.state === 'ALIVE' || a.state === 'STOPPING')) continue;
      this.host.send(nodeId, { type: 'actor.stop', actorId: a.spec.actorId });
      a.slot = undefined;
      this.died(a.spec.actorId, a.attempt, 'was moved off its node (spot interruption notice)');
    }
  }

  /**
   * kill(handle), or the end of its job or group. `byJob` is the job that asked: its own job's kill is that job's
   * decision and not listed as a failure; another job's kill is (the owner did not choose it).
   */
  kill(actorId: string, noRestart: boolean, byJob: string | undefined, why = 'was killed'): void {
    const a = this.actors.get(actorId);
    if (!a || a.state === 'DEAD') return;
    const own = byJob !== undefined && byJob === a.spec.jobId;
    if (noRestart) {
      a.killed = true;
      a.killedWhy = why;
    }
    if ((a.state === 'STARTING' || a.state === 'ALIVE') && a.nodeId) {
      a.state = 'STOPPING';
      if (own) a.ownKill = true;
      this.host.send(a.nodeId, { type: 'actor.stop', actorId });
    } else if (noRestart && a.state !== 'STOPPING') {
      this.die(a, this.error(a, 'actor-died', 'ActorDiedError', `actor ${a.spec.name} ${why}`), !own);
    } else if (a.state === 'STOPPING' && own) {
      a.ownKill = true; // a kill already under way that its own job now asks for too
    }
  }

  /** Its placement group was removed (by `byJob`): the actors placed in it are killed for good (Ray's semantics). */
  killGroup(pgId: string, why: string, byJob: string | undefined): void {
    for (const a of this.actors.values()) if (a.spec.placement?.pgId === pgId) this.kill(a.spec.actorId, true, byJob, `was killed: ${why}`);
  }

  /** A job ended: its actors die, except detached ones. */
  jobEnded(jobId: string): void {
    this.endedJobs.add(jobId);
    for (const a of this.actors.values()) if (a.spec.jobId === jobId && a.spec.lifetime === 'job') this.kill(a.spec.actorId, true, jobId);
  }

  /** Cancels a call not yet delivered; returns whether the id was an actor call. */
  cancel(returnId: string): boolean {
    const actorId = this.callIndex.get(returnId);
    const a = actorId ? this.actors.get(actorId) : undefined;
    if (!a) return false;
    for (const q of a.queues.values()) {
      const i = q.findIndex((r) => r.call.returnId === returnId);
      if (i < 0) continue;
      const [rec] = q.splice(i, 1);
      if (rec) this.host.queue?.callGone(rec.call.callId);
      if (rec) this.host.objects.set(returnId, { kind: 'error', error: { ...this.error(a, 'cancelled', 'TaskCancelledError', `call ${a.spec.name}.${rec.call.method} was cancelled`), taskName: `${a.spec.name}.${rec.call.method}` } }, rec.call.jobId);
      this.pump(a);
    }
    return true;
  }

  /** Who an actor belongs to and where it runs (what may kill it, or report for it). */
  owner(actorId: string): { jobId: string; nodeId: string | undefined; detached: boolean } | undefined {
    const a = this.actors.get(actorId);
    return a ? { jobId: a.spec.jobId, nodeId: a.nodeId, detached: a.spec.lifetime === 'detached' } : undefined;
  }

  lookup(name: string, namespace: string): ActorRef | null {
    const id = this.names.get(nsKey(namespace, name));
    const a = id ? this.actors.get(id) : undefined;
    if (!a || a.state === 'DEAD') return null;
    return { actorId: a.spec.actorId, cls: a.spec.cls, methods: a.spec.methods };
  }

  private releaseSlot(a: Actor): void {
    if (a.slot !== undefined) this.host.slots.release(a.slot, a.spec.hold);
    a.slot = undefined;
    this.host.resourcesFreed();
  }

  private failCall(a: Actor, call: ActorCall, message?: string): void {
    const cause = a.cause ?? this.error(a, 'actor-died', 'ActorDiedError', message ?? `actor ${a.spec.name} is dead`);
    const error = message && !a.cause ? this.error(a, 'actor-died', 'ActorDiedError', message) : cause;
    this.host.objects.set(call.returnId, { kind: 'error', error: { ...error, taskName: `${a.spec.name}.${call.method}` } }, call.jobId);
  }

  /** `failure`: whether `status` lists the death (not when its own job chose it, nor for a name clash). */
  private die(a: Actor, cause: ErrorInfo, failure = true): void {
    a.state = 'DEAD';
    a.cause = cause;
    this.persist(a);
    if (failure && cause.kind !== 'name-taken') this.host.failed({ kind: cause.kind, what: a.spec.name, message: cause.message, nodeId: a.nodeId ?? '' });
    for (const q of a.queues.values()) {
      for (const rec of q) {
        this.host.queue?.callGone(rec.call.callId);
        this.failCall(a, rec.call);
      }
    }
    a.queues.clear();
    for (const rec of a.inflight.values()) this.failCall(a, rec.call);
    a.inflight.clear();
    a.delivered = [];
    if (a.spec.actorName !== undefined && this.names.get(nsKey(a.spec.namespace, a.spec.actorName)) === a.spec.actorId) {
      this.names.delete(nsKey(a.spec.namespace, a.spec.actorName));
    }
  }

  /** Nodes hosting a live actor (an actor pins its node). */
  nodesInUse(): Set<string> {
    const out = new Set<string>();
    for (const a of this.actors.values()) if (a.nodeId && a.state !== 'DEAD') out.add(a.nodeId);
    return out;
  }

  /** Placement demands of actors waiting for a node. */
  pendingShapes(): Fixed[] {
    return [...this.actors.values()].filter((a) => a.state === 'PENDING' && !a.spec.placement).map((a) => a.spec.place);
  }

  views(): ActorView[] {
    return [...this.actors.values()].map(actorView);
  }

  /**
   * Forgets the dead actors of ended jobs `keepMs` after it first finds them so (`status` still lists a job's
   * actors for a while after it ended), with the index of their calls. Live actors stay, detached ones included.
   */
  prune(now: number, keepMs: number): void {
    const gone = new Set<string>();
    for (const [id, a] of this.actors) {
      if (a.state !== 'DEAD' || !this.endedJobs.has(a.spec.jobId)) continue;
      a.forgetAt ??= now + keepMs;
      if (now < a.forgetAt) continue;
      this.actors.delete(id);
      gone.add(id);
    }
    if (gone.size === 0) return;
    for (const [returnId, actorId] of this.callIndex) if (gone.has(actorId)) this.callIndex.delete(returnId);
  }
}
