import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { Batcher } from '../common/batcher.js';
import { type ResourceDict, toFixed } from '../common/resources.js';
import type { ActorRef, ClusterStatus, Message, ObjectValue, Strategy } from '../protocol/messages.js';
import { MAX_LIST_ITEMS } from '../protocol/shapes.js';
import { actorCall, actorSpec, type ActorCreateOptions, type Caller, encodeArgs, type EncodedArgs, type TaskCallOptions, taskSpec } from './call-specs.js';
import { Correlator } from './correlator.js';
import { errorFromInfo, GetTimeoutError, ObjectLostError, RaylaunchRuntimeError } from './errors.js';
import { ObjectCache } from './object-cache.js';
import { ObjectRef } from './object-ref.js';
import { type OutputSink, prefixLines } from './output.js';
import { PlacementGroupStates } from './placement-groups.js';
import { decodeValue, encodeValue, type HandleReviver } from './serialize.js';
import type { Transport } from './transport.js';
import { OutageBuffer, resumePlan, type Unfinished } from './reconnect.js';
import { reconnectLoop } from './reconnect-loop.js';
import { errorInfo } from '../protocol/error-info.js';

export interface Identity {
  role: 'driver' | 'worker';
  clientId: string;
  jobId: string;
  nodeId: string;
  inlineLimit: number;
  /** Where named actors live unless one is given. */
  namespace: string;
}

/** What a runtime is given besides its connection: where output goes, and what its process adds. */
export interface RuntimeHooks {
  /** Where task output streamed from the cluster, and the cluster's warnings, are shown. */
  output: OutputSink;
  /** Messages that are not for the job API (a worker process's task.run) go here. */
  onOther?: (m: Message) => void;
  /** Drivers fetch large objects straight from the node that holds them; worker processes ask their agent. */
  fetchDirect?: (address: string, id: string, size: number) => Promise<Uint8Array | undefined>;
  /** Runs when the runtime closes (drivers close their object connections). */
  onClosed?: () => Promise<void>;
  /** Makes the actor handles inside values usable here. */
  reviveHandle?: HandleReviver;
  /**
   * A driver's way back to a head when its connection drops without its closing it: one attempt (connect, hello
   * with the same client and job); rejects with `retry: false` when the head that answered will not have it back.
   * Without it (worker processes), a dropped connection fails what waits, at once.
   */
  reconnect?: { attempt(): Promise<Transport>; timeoutMs: number };
}

export { ReconnectRefused } from './reconnect-loop.js';

/** Which task or actor call is running: per async context, since an actor may run several calls at once. */
export const callContext = new AsyncLocalStorage<{ taskId: string; actorId?: string; label?: string }>();

/** How long get() waits: until `deadline` (ms since the epoch), which is `ms` after it was called. */
export interface GetTimeout { deadline: number; ms: number }

/** What each request to the head resolves with, by the type of its reply. */
interface Replies extends Record<string, unknown> {
  'object.data': Uint8Array;
  'query.reply': ClusterStatus;
  'actor.found': ActorRef | null;
  'resume.known': string[];
}

/** A client of the cluster (a driver, or the job code inside a worker process): objects, tasks, queries. */
export class Runtime {
  private readonly objects = new ObjectCache();
  private readonly requests = new Correlator<Replies>();
  private readonly groups = new PlacementGroupStates(() => this.closedReason);
  private readonly outbox: Batcher<Message>;
  private readonly caller: Caller;
  private fetchQueue: string[] = [];
  private seq = 0;
  private closedReason: string | undefined;
  /** What pending get()s and later calls fail with once the connection is closed for good. */
  private closedError: RaylaunchRuntimeError | undefined;
  /** The driver closes its connection itself: no reconnect. */
  private closing = false;
  /** The driver told the head it ends (driver.exit). */
  private saidExit = false;
  /** No connection to a head now: calls wait here until one is back, up to the deadline (ms since the epoch). */
  private outage: { buffer: OutageBuffer } | undefined;
  /** Submissions with no result here yet, and every put, by the object id they make (for a head back after a drop). */
  private readonly unfinished = new Map<string, Unfinished>();
  /** The requests that wait for a reply, to ask again of a head back after a drop. */
  private readonly asked = new Map<number, Message>();
  transport: Transport;
  /** The task this worker process runs (outside an async context: tasks run one at a time per process). */
  private taskId: string | undefined;
  /** The actor this process hosts, if any. */
  actorId: string | undefined;

  get currentTaskId(): string | undefined {
    return callContext.getStore()?.taskId ?? this.taskId;
  }

  set currentTaskId(id: string | undefined) {
    this.taskId = id;
  }

  constructor(transport: Transport, readonly identity: Identity, private readonly hooks: RuntimeHooks) {
    this.caller = { jobId: identity.jobId, owner: identity.clientId, namespace: identity.namespace };
    this.outbox = new Batcher((msgs) => this.deliver(msgs));
    this.transport = transport;
    this.attach(transport);
  }

  private attach(transport: Transport): void {
    this.transport = transport;
    transport.onMessages((msgs) => { for (const m of msgs) this.receive(m); });
    transport.onClose((reason) => this.dropped(transport, reason));
  }

  /** Sends a batch, or keeps it for the next head while there is none. */
  private deliver(msgs: Message[]): void {
    if (this.outage) this.outage.buffer.keep(msgs);
    else this.transport.send(msgs);
  }

  static newClientId(prefix: string): string {
    return `${prefix}-${randomBytes(5).toString('hex')}`;
  }

  private newId(kind: string): string {
    return `${this.identity.clientId}.${kind}${(this.seq++).toString(36)}`;
  }

  send(m: Message): void {
    if (this.closedReason) throw this.closedError ?? new RaylaunchRuntimeError(`the connection to the cluster is closed: ${this.closedReason}`);
    if (this.outage) return this.outage.buffer.push(m);
    this.outbox.push(m);
  }

  /** A request that waits for its reply: kept until then, to ask a head back after a drop again. */
  private ask(m: Message & { reqId: number }): void {
    this.asked.set(m.reqId, m);
    this.send(m);
  }

  private receive(m: Message): void {
    switch (m.type) {
      case 'object':
        if (this.unfinished.get(m.id)?.message.type !== 'put') this.unfinished.delete(m.id);
        this.objects.set(m.id, m.value);
        return;
      case 'object.data':
        this.asked.delete(m.reqId);
        this.requests.settle('object.data', m.reqId, () => pulled(m));
        return;
      case 'query.reply':
        this.asked.delete(m.reqId);
        this.requests.settle('query.reply', m.reqId, () => m.status);
        return;
      case 'actor.found':
        this.asked.delete(m.reqId);
        this.requests.settle('actor.found', m.reqId, () => m.actor);
        return;
      case 'resume.known':
        this.requests.settle('resume.known', m.reqId, () => m.ids);
        return;
      case 'pg.state':
        this.groups.update(m.pgId, m.state, m.message);
        return;
      case 'warning':
        this.hooks.output.write('stderr', `raylaunch: warning: ${m.message}\n`);
        return;
      case 'log':
        this.hooks.output.write(m.stream, prefixLines(`(${m.source} node=${m.nodeId} pid=${m.pid}) `, m.text));
        return;
      case 'fatal':
        this.fail(m.message);
        return;
      default:
        this.hooks.onOther?.(m);
        return;
    }
  }

  /** Makes an object's value known here (a task's resolved dependency), as if it had been pushed. */
  learn(id: string, value: ObjectValue): void {
    this.objects.set(id, value);
  }

  private fail(reason: string, error?: RaylaunchRuntimeError): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.closedError = error;
    this.outage = undefined;
    this.requests.rejectAll(this.lostConnection());
    this.groups.wakeAll();
    this.objects.wakeAll();
  }

  private lostConnection(): RaylaunchRuntimeError {
    return this.closedError ?? new RaylaunchRuntimeError(`lost the connection to the cluster: ${this.closedReason}`);
  }

  /**
   * The connection closed. A driver that did not close it waits for a head (this one back, or its successor at the
   * same address): calls made meanwhile are kept (a bounded buffer), pending get()s and wait()s go on waiting.
   */
  private dropped(transport: Transport, reason: string): void {
    if (transport !== this.transport || this.closedReason) return;
    const { reconnect } = this.hooks;
    if (this.closing || !reconnect) return this.fail(reason);
    if (this.outage) return; // a head that took it back and dropped it again while it resumed: the loop goes on
    const now = Date.now();
    this.outage = { buffer: new OutageBuffer(undefined, now) };
    this.hooks.output.write('stderr', `raylaunch: lost the connection to the head (${reason}); reconnecting for up to ${Math.round(reconnect.timeoutMs / 1000)} s\n`);
    void reconnectLoop({
      waiting: () => this.outage !== undefined && !this.closing && !this.closedReason,
      attempt: () => reconnect.attempt(),
      resume: (t) => {
        this.attach(t);
        return this.resume(t);
      },
      fail: (why, error) => this.fail(why, error),
      say: (line) => this.hooks.output.write('stderr', line),
    }, { since: now, deadline: now + reconnect.timeoutMs, timeoutMs: reconnect.timeoutMs, reason });
  }

  /**
   * Back on a head: asks which unfinished submissions it has, sends again those that may run again (same ids),
   * fails the others, asks again for every object a get() or wait() waits for and every pending request, then
   * sends what was made during the outage, in order.
   */
  private async resume(transport: Transport): Promise<void> {
    const outage = this.outage;
    if (!outage) return;
    const ids = [...this.unfinished.keys()];
    const known = new Set<string>();
    const closed = new Promise<never>((_, reject) => transport.onClose((why) => reject(new RaylaunchRuntimeError(why))));
    closed.catch(() => undefined);
    for (let i = 0; i < ids.length || i === 0; i += MAX_LIST_ITEMS) {
      const chunk = ids.slice(i, i + MAX_LIST_ITEMS);
      const reply = this.requests.request('resume.known', (reqId) => transport.send([{ type: 'resume.ask', reqId, client: this.identity.clientId, ids: chunk }]));
      for (const id of await Promise.race([reply, closed])) known.add(id);
    }
    if (this.outage !== outage || transport !== this.transport) throw new RaylaunchRuntimeError('the connection dropped while the driver resumed');
    const plan = resumePlan(this.unfinished, known, outage.buffer.made());
    for (const id of plan.lost) {
      const maker = this.objects.maker(id) ?? `object ${id}`;
      this.unfinished.delete(id);
      this.objects.set(id, { kind: 'error', error: errorInfo({
        kind: 'lost', objectId: id, taskName: maker,
        message: `${maker} was lost with the head that restarted while it was submitted, and it may not run twice (a task with maxRetries 0, or an actor call)`,
      }) });
    }
    this.outage = undefined;
    for (const m of plan.again) this.outbox.push(m);
    const waited = this.objects.awaited();
    for (let i = 0; i < waited.length; i += MAX_LIST_ITEMS) this.outbox.push({ type: 'fetch', client: this.identity.clientId, ids: waited.slice(i, i + MAX_LIST_ITEMS) });
    for (const m of this.asked.values()) this.outbox.push(m);
    for (const m of outage.buffer.drain()) this.outbox.push(m);
  }

  private encodeArgs(args: readonly unknown[], what: string): EncodedArgs {
    return encodeArgs(args, what, this.identity.inlineLimit, (bytes) => this.putEncoded(bytes).id);
  }

  private expectResult(returnId: string, maker: string): ObjectRef<unknown> {
    this.objects.expect(returnId, maker);
    return ObjectRef.of(returnId);
  }

  /** Submits one task; its result is pushed back here when it finishes. */
  submitTask(fn: { key: string; name: string }, args: readonly unknown[], opts: TaskCallOptions): ObjectRef<unknown> {
    const taskId = this.newId('t');
    const call = this.encodeArgs(args, `${fn.name}()`);
    const task = taskSpec(this.caller, { taskId, parent: this.currentTaskId, fn, call }, opts);
    const m: Message = { type: 'submit', task };
    this.send(m);
    this.unfinished.set(task.returnId, { message: m, again: task.maxRetries > 0 });
    return this.expectResult(task.returnId, fn.name);
  }

  /** Starts an actor (asynchronously: the handle is usable at once, calls queue until it runs). */
  createActor(cls: { key: string; name: string; methods: string[] }, args: readonly unknown[], o: ActorCreateOptions): ActorRef {
    const actorId = this.newId('a');
    const call = this.encodeArgs(args, `the constructor of ${cls.name}`);
    this.send({ type: 'actor.create', actor: actorSpec(this.caller, { actorId, cls, call }, o) });
    return { actorId, cls: cls.key, methods: cls.methods };
  }

  callActor(ref: ActorRef, method: string, args: readonly unknown[]): ObjectRef<unknown> {
    const callId = this.newId('c');
    const call = actorCall(this.caller, { callId, actorId: ref.actorId, method, call: this.encodeArgs(args, `${method}()`) });
    const m: Message = { type: 'actor.call', call };
    this.send(m);
    // Not run twice: a call may change the actor's state (a restart re-runs calls only with maxTaskRetries, which the head decides).
    this.unfinished.set(call.returnId, { message: m, again: false });
    return this.expectResult(call.returnId, `${ref.cls}.${method}`);
  }

  killActor(actorId: string, noRestart: boolean): void {
    this.send({ type: 'actor.kill', actorId, noRestart, jobId: this.identity.jobId });
  }

  lookupActor(name: string, namespace: string): Promise<ActorRef | null> {
    return this.requests.request('actor.found', (reqId) => this.ask({ type: 'actor.lookup', reqId, client: this.identity.clientId, name, namespace }));
  }

  cancel(id: string, force: boolean, recursive: boolean): void {
    this.send({ type: 'cancel', id, force, recursive, jobId: this.identity.jobId });
  }

  createPlacementGroup(bundles: ResourceDict[], strategy: Strategy, name: string | undefined): string {
    const pgId = this.newId('pg');
    this.groups.created(pgId);
    this.send({ type: 'pg.create', pg: { pgId, jobId: this.identity.jobId, owner: this.identity.clientId, strategy, bundles: bundles.map((b) => toFixed(b)), ...(name ? { name } : {}) } });
    return pgId;
  }

  /** Resolves once the group is reserved; rejects when it can never be, or was removed, or at the timeout. */
  placementGroupReady(pgId: string, timeoutMs: number | undefined): Promise<void> {
    return this.groups.ready(pgId, timeoutMs);
  }

  removePlacementGroup(pgId: string): void {
    this.send({ type: 'pg.remove', pgId, jobId: this.identity.jobId });
  }

  requestResources(bundles: ResourceDict[]): void {
    this.send({ type: 'resources.request', jobId: this.identity.jobId, bundles });
  }

  put(value: unknown): ObjectRef<unknown> {
    return this.putEncoded(encodeValue(value, 'the value given to put()').bytes);
  }

  private putEncoded(bytes: Uint8Array): ObjectRef<unknown> {
    const id = this.newId('o');
    const value: ObjectValue = { kind: 'inline', data: bytes };
    const m: Message = { type: 'put', id, owner: this.identity.clientId, jobId: this.identity.jobId, value };
    this.send(m);
    this.objects.set(id, value);
    // The head keeps a driver's puts in its own process: one that restarted has lost them, and gets them again.
    if (this.hooks.reconnect) this.unfinished.set(id, { message: m, again: true });
    return ObjectRef.of(id);
  }

  /** Asks for objects not known here, all those asked for in one turn of the event loop in one message. */
  private requestFetch(id: string): void {
    if (!this.objects.claimFetch(id)) return;
    if (this.fetchQueue.length === 0) {
      setImmediate(() => {
        const ids = this.fetchQueue;
        this.fetchQueue = [];
        // Closed meanwhile: the gets that asked have been rejected, and a throw here would be uncaught. Without a
        // head: a head back asks for every object still awaited (resume()).
        if (this.closedReason || this.outage) return;
        // The head refuses a longer list in one message.
        for (let i = 0; i < ids.length; i += MAX_LIST_ITEMS) this.send({ type: 'fetch', client: this.identity.clientId, ids: ids.slice(i, i + MAX_LIST_ITEMS) });
      });
    }
    this.fetchQueue.push(id);
  }

  isReady(id: string): boolean {
    return this.objects.isReady(id);
  }

  /** Resolves when the object's value (or error) is known here, or rejects at the deadline. */
  private whenKnown(id: string, timeout: GetTimeout | undefined): Promise<void> {
    if (this.objects.isReady(id)) return Promise.resolve();
    if (this.closedReason) return Promise.reject(this.lostConnection());
    this.requestFetch(id);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const stop = this.objects.onKnown(id, () => {
        if (timer) clearTimeout(timer);
        if (this.closedReason && !this.objects.isReady(id)) reject(this.lostConnection());
        else resolve();
      });
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          stop();
          // Name what the user called (g, Counter.incr); a ref made elsewhere has only its id.
          const maker = this.objects.maker(id);
          reject(new GetTimeoutError(`get() timed out after ${timeout.ms} ms waiting for ${maker ?? `object ${id}`}`, { timeoutMs: timeout.ms, objectId: id, taskName: maker }));
        }, Math.max(0, timeout.deadline - Date.now()));
      }
    });
  }

  private async bytesOf(id: string, value: ObjectValue): Promise<Uint8Array> {
    if (value.kind === 'inline') return value.data;
    if (value.kind === 'error') throw errorFromInfo(value.error);
    const lost = () => new ObjectLostError(`object ${id} is lost: node ${value.nodeId}, which held it, is gone`, { objectId: id, nodeId: value.nodeId });
    if (this.hooks.fetchDirect) {
      try {
        const data = await this.hooks.fetchDirect(value.address, id, value.size);
        if (data) return data;
      } catch {
        // The node cannot be reached from here: let the head try (it relays, or knows the node is dead).
      }
    }
    const data = this.requests.request('object.data', (reqId) => this.ask({
      type: 'object.pull', reqId, client: this.identity.clientId, id, nodeId: value.nodeId, size: value.size,
    }));
    return data.catch((e: unknown) => { throw e instanceof RaylaunchRuntimeError && !(e instanceof GetTimeoutError) ? lost() : e; });
  }

  async getOne(id: string, timeout: GetTimeout | undefined): Promise<unknown> {
    await this.whenKnown(id, timeout);
    const value = this.objects.get(id);
    if (!value) throw new RaylaunchRuntimeError(`object ${id} has no value`);
    return this.decode(await this.bytesOf(id, value));
  }

  /** A value's bytes decoded: refs as ObjectRefs, actor handles made usable here. */
  decode(bytes: Uint8Array): unknown {
    return decodeValue(bytes, this.hooks.reviveHandle);
  }

  /** Runs `wait` for objects while telling the head this task's CPU is free (nested work must not deadlock). */
  async blocking<T>(ids: readonly string[], wait: () => Promise<T>): Promise<T> {
    const taskId = this.currentTaskId;
    if (this.identity.role !== 'worker' || !taskId || ids.every((id) => this.isReady(id))) return wait();
    this.send({ type: 'task.blocked', taskId });
    try {
      return await wait();
    } finally {
      this.send({ type: 'task.unblocked', taskId });
    }
  }

  async wait(ids: readonly string[], numReturns: number, timeoutMs: number | undefined): Promise<Set<string>> {
    for (const id of ids) this.requestFetch(id);
    const ready = () => new Set(ids.filter((id) => this.isReady(id)));
    const waiting = [...new Set(ids)].filter((id) => !this.isReady(id));
    let readyCount = new Set(ids).size - waiting.length;
    // Closed: nothing more will come (as for the waits the closing woke).
    if (readyCount >= numReturns || this.closedReason) return ready();
    return new Promise<Set<string>>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        resolve(ready());
      };
      for (const id of waiting) {
        this.objects.onKnown(id, () => {
          readyCount += 1;
          if (readyCount >= numReturns || this.closedReason) settle();
        });
      }
      if (timeoutMs !== undefined) timer = setTimeout(settle, timeoutMs);
    });
  }

  status(): Promise<ClusterStatus> {
    return this.requests.request('query.reply', (reqId) => this.ask({ type: 'query', reqId, client: this.identity.clientId }));
  }

  /**
   * A driver that ends says so before its connection closes, so that the head ends a job it started by hand at
   * once (by this exit code) rather than waiting for it to come back (head/jobs/hand-driver.ts). Once; not while
   * it has no head.
   */
  sayExit(exitCode: number): void {
    if (this.identity.role !== 'driver' || this.saidExit || this.closedReason || this.outage) return;
    this.saidExit = true;
    this.outbox.push({ type: 'driver.exit', exitCode });
    this.outbox.flushNow();
  }

  async close(exitCode = 0): Promise<void> {
    this.sayExit(exitCode);
    this.closing = true;
    this.outbox.flushNow();
    await this.transport.close();
    await this.hooks.onClosed?.();
  }
}

/** The bytes an object.data reply brings: inline, or in a file handed over in shared memory (removed once read). */
function pulled(m: Extract<Message, { type: 'object.data' }>): Uint8Array {
  if (m.file) {
    try {
      return readFileSync(m.file);
    } finally {
      rmSync(m.file, { force: true });
    }
  }
  if (m.data) return m.data;
  throw new ObjectLostError(`object ${m.id} is lost: the node that held it is gone`, { objectId: m.id });
}
