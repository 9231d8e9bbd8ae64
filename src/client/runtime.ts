import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { Batcher } from '../common/batcher.js';
import { type ResourceDict, requestOf, toFixed } from '../common/resources.js';
import type { ActorRef, ClusterStatus, Message, MessageOf, ObjectValue, Strategy, TaskArg } from '../protocol/messages.js';
import { errorFromInfo, GetTimeoutError, ObjectLostError, RaylaunchRuntimeError } from './errors.js';
import { ObjectRef } from './object-ref.js';
import { decodeValue, encodeValue } from './serialize.js';
import type { Transport } from './transport.js';

export interface Identity {
  role: 'driver' | 'worker';
  clientId: string;
  jobId: string;
  nodeId: string;
  inlineLimit: number;
  /** Where named actors live unless one is given. */
  namespace: string;
}

/** Which task or actor call is running: per async context, since an actor may run several calls at once. */
export const callContext = new AsyncLocalStorage<{ taskId: string; actorId?: string; label?: string }>();

export interface TaskCallOptions {
  numCpus?: number; numGpus?: number; memory?: number; resources?: ResourceDict;
  maxRetries?: number; retryExceptions?: boolean;
  placementGroup?: { id: string }; bundleIndex?: number;
}

export interface ActorCreateOptions extends TaskCallOptions {
  name?: string; namespace?: string; lifetime?: 'job' | 'detached';
  maxRestarts?: number; maxTaskRetries?: number; maxConcurrency?: number;
}

interface PgState { state: string; message?: string; waiters: (() => void)[] }

interface Entry {
  value?: ObjectValue;
  waiters: (() => void)[];
  fetched: boolean;
  /** What makes it, for messages: the task (`g`) or actor method (`Counter.incr`) this process called. */
  maker?: string;
}

/** How long get() waits: until `deadline` (ms since the epoch), which is `ms` after it was called. */
export interface GetTimeout { deadline: number; ms: number }

interface Pending<T> { resolve: (v: T) => void; reject: (e: Error) => void }

/** A client of the cluster (a driver, or the job code inside a worker process): objects, tasks, queries. */
export class Runtime {
  private readonly objects = new Map<string, Entry>();
  private readonly pulls = new Map<number, Pending<Uint8Array>>();
  private readonly queries = new Map<number, Pending<ClusterStatus>>();
  private readonly lookups = new Map<number, Pending<ActorRef | null>>();
  private readonly groups = new Map<string, PgState>();
  private readonly outbox: Batcher<Message>;
  private fetchQueue: string[] = [];
  private seq = 0;
  private reqSeq = 0;
  private closedReason: string | undefined;
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
  /** Messages that are not for the job API (a worker process's task.run) go here. */
  onOther: ((m: Message) => void) | undefined;
  /** Drivers fetch large objects straight from the node that holds them; worker processes ask their agent. */
  fetchDirect: ((address: string, id: string, size: number) => Promise<Uint8Array | undefined>) | undefined;

  constructor(readonly transport: Transport, readonly identity: Identity) {
    this.outbox = new Batcher((msgs) => this.transport.send(msgs));
    transport.onMessages((msgs) => { for (const m of msgs) this.receive(m); });
    transport.onClose((reason) => this.fail(reason));
  }

  static newClientId(prefix: string): string {
    return `${prefix}-${randomBytes(5).toString('hex')}`;
  }

  private newId(kind: string): string {
    return `${this.identity.clientId}.${kind}${(this.seq++).toString(36)}`;
  }

  send(m: Message): void {
    if (this.closedReason) throw new RaylaunchRuntimeError(`the connection to the cluster is closed: ${this.closedReason}`);
    this.outbox.push(m);
  }

  private entry(id: string): Entry {
    let e = this.objects.get(id);
    if (!e) {
      e = { waiters: [], fetched: false };
      this.objects.set(id, e);
    }
    return e;
  }

  private receive(m: Message): void {
    switch (m.type) {
      case 'object': {
        const e = this.entry(m.id);
        e.value = m.value;
        const waiters = e.waiters;
        e.waiters = [];
        for (const w of waiters) w();
        return;
      }
      case 'object.data': {
        const p = this.pulls.get(m.reqId);
        this.pulls.delete(m.reqId);
        if (!p) return;
        if (m.file) {
          try {
            p.resolve(readFileSync(m.file));
          } catch (e) {
            p.reject(e as Error);
          } finally {
            rmSync(m.file, { force: true });
          }
        } else if (m.data) p.resolve(m.data);
        else p.reject(new ObjectLostError(`object ${m.id} is lost: the node that held it is gone`, { objectId: m.id }));
        return;
      }
      case 'query.reply': {
        const p = this.queries.get(m.reqId);
        this.queries.delete(m.reqId);
        p?.resolve(m.status);
        return;
      }
      case 'actor.found': {
        const p = this.lookups.get(m.reqId);
        this.lookups.delete(m.reqId);
        p?.resolve(m.actor);
        return;
      }
      case 'pg.state': {
        const g = this.groups.get(m.pgId) ?? { state: 'PENDING', waiters: [] };
        g.state = m.state;
        if (m.message) g.message = m.message;
        this.groups.set(m.pgId, g);
        const w = g.waiters;
        g.waiters = [];
        for (const f of w) f();
        return;
      }
      case 'warning':
        process.stderr.write(`raylaunch: warning: ${m.message}\n`);
        return;
      case 'log':
        (m.stream === 'stderr' ? process.stderr : process.stdout).write(prefixLines(`(${m.source} node=${m.nodeId} pid=${m.pid}) `, m.text));
        return;
      case 'fatal':
        this.fail(m.message);
        return;
      default:
        this.onOther?.(m);
        return;
    }
  }

  /** Makes an object's value known here (a task's resolved dependency), as if it had been pushed. */
  learn(id: string, value: ObjectValue): void {
    this.receive({ type: 'object', client: this.identity.clientId, id, value });
  }

  /** The bytes of an object whose value is known, pulling stored ones from their node. */
  async bytes(id: string, value: ObjectValue): Promise<Uint8Array> {
    return this.bytesOf(id, value);
  }

  private fail(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    const err = new RaylaunchRuntimeError(`lost the connection to the cluster: ${reason}`);
    for (const p of this.pulls.values()) p.reject(err);
    for (const p of this.queries.values()) p.reject(err);
    for (const p of this.lookups.values()) p.reject(err);
    this.pulls.clear();
    this.queries.clear();
    this.lookups.clear();
    for (const g of this.groups.values()) g.waiters.splice(0).forEach((f) => f());
    for (const e of this.objects.values()) {
      const w = e.waiters;
      e.waiters = [];
      for (const f of w) f();
    }
  }

  /** Encodes call arguments: top-level refs become dependencies; large values travel once, as objects. */
  private encodeArgs(args: readonly unknown[], what: string): { args: TaskArg[]; deps: string[] } {
    const deps: string[] = [];
    const encoded: TaskArg[] = args.map((a, i) => {
      if (a instanceof ObjectRef) {
        deps.push(a.id);
        return { ref: a.id };
      }
      const { bytes } = encodeValue(a, `argument ${i + 1} of ${what}`);
      if (bytes.byteLength <= this.identity.inlineLimit) return { value: bytes };
      const ref = this.putEncoded(bytes);
      deps.push(ref.id);
      return { ref: ref.id };
    });
    return { args: encoded, deps };
  }

  private expectResult(returnId: string, maker: string): ObjectRef<unknown> {
    const e = this.entry(returnId);
    e.fetched = true; // the owner gets the result pushed without asking
    e.maker = maker;
    return ObjectRef.of(returnId);
  }

  /** Submits one task; its result is pushed back here when it finishes. */
  submitTask(fn: { key: string; name: string }, args: readonly unknown[], opts: TaskCallOptions): ObjectRef<unknown> {
    const taskId = this.newId('t');
    const { args: encoded, deps } = this.encodeArgs(args, `${fn.name}()`);
    const returnId = `${taskId}.r`;
    const parent = this.currentTaskId;
    this.send({
      type: 'submit',
      task: {
        taskId, jobId: this.identity.jobId, owner: this.identity.clientId, fn: fn.key, name: fn.name, args: encoded, deps,
        returnId, resources: toFixed(requestOf(opts, 1)), maxRetries: opts.maxRetries ?? 3, retryExceptions: opts.retryExceptions ?? false,
        ...(parent ? { parent } : {}), ...placementOf(opts),
      },
    });
    return this.expectResult(returnId, fn.name);
  }

  /** Starts an actor (asynchronously: the handle is usable at once, calls queue until it runs). */
  createActor(cls: { key: string; name: string; methods: string[] }, args: readonly unknown[], o: ActorCreateOptions): ActorRef {
    const actorId = this.newId('a');
    const { args: ctorArgs, deps } = this.encodeArgs(args, `the constructor of ${cls.name}`);
    const hold = requestOf({ ...o, numCpus: o.numCpus ?? 0 }, 0);
    const place = o.numCpus === undefined ? { ...hold, CPU: 1 } : hold; // 1 CPU to place, held only if asked for
    this.send({
      type: 'actor.create',
      actor: {
        actorId, jobId: this.identity.jobId, owner: this.identity.clientId, cls: cls.key, name: cls.name, methods: cls.methods,
        ctorArgs, deps, place: toFixed(place), hold: toFixed(hold), maxRestarts: o.maxRestarts ?? 0, maxTaskRetries: o.maxTaskRetries ?? 0,
        maxConcurrency: Math.max(1, o.maxConcurrency ?? 1), namespace: o.namespace ?? this.identity.namespace, lifetime: o.lifetime ?? 'job',
        ...(o.name !== undefined ? { actorName: o.name } : {}), ...placementOf(o),
      },
    });
    return { actorId, cls: cls.key, methods: cls.methods };
  }

  callActor(ref: ActorRef, method: string, args: readonly unknown[]): ObjectRef<unknown> {
    const callId = this.newId('c');
    const { args: encoded, deps } = this.encodeArgs(args, `${method}()`);
    const returnId = `${callId}.r`;
    this.send({ type: 'actor.call', call: { callId, actorId: ref.actorId, jobId: this.identity.jobId, owner: this.identity.clientId, method, args: encoded, deps, returnId } });
    return this.expectResult(returnId, `${ref.cls}.${method}`);
  }

  killActor(actorId: string, noRestart: boolean): void {
    this.send({ type: 'actor.kill', actorId, noRestart, jobId: this.identity.jobId });
  }

  lookupActor(name: string, namespace: string): Promise<ActorRef | null> {
    const reqId = this.reqSeq++;
    const p = new Promise<ActorRef | null>((resolve, reject) => this.lookups.set(reqId, { resolve, reject }));
    this.send({ type: 'actor.lookup', reqId, client: this.identity.clientId, name, namespace });
    return p;
  }

  cancel(id: string, force: boolean, recursive: boolean): void {
    this.send({ type: 'cancel', id, force, recursive });
  }

  createPlacementGroup(bundles: ResourceDict[], strategy: Strategy, name: string | undefined): string {
    const pgId = this.newId('pg');
    this.groups.set(pgId, { state: 'PENDING', waiters: [] });
    this.send({ type: 'pg.create', pg: { pgId, jobId: this.identity.jobId, owner: this.identity.clientId, strategy, bundles: bundles.map((b) => toFixed(b)), ...(name ? { name } : {}) } });
    return pgId;
  }

  /** Resolves once the group is reserved; rejects when it can never be, or was removed, or at the timeout. */
  async placementGroupReady(pgId: string, timeoutMs: number | undefined): Promise<void> {
    const g = this.groups.get(pgId) ?? { state: 'PENDING', waiters: [] };
    this.groups.set(pgId, g);
    const settled = () => g.state !== 'PENDING' || this.closedReason !== undefined;
    if (!settled()) {
      await new Promise<void>((resolve, reject) => {
        const timer = timeoutMs === undefined ? undefined : setTimeout(() => reject(new GetTimeoutError(`placement group ${pgId} was not ready within ${timeoutMs} ms`, { timeoutMs, placementGroupId: pgId })), timeoutMs);
        g.waiters.push(() => { if (timer) clearTimeout(timer); resolve(); });
      });
    }
    if (g.state === 'CREATED') return;
    throw new RaylaunchRuntimeError(g.message ?? (this.closedReason ? `lost the connection to the cluster: ${this.closedReason}` : `placement group ${pgId} is ${g.state}`));
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
    this.entry(id).value = value;
    this.send({ type: 'put', id, owner: this.identity.clientId, jobId: this.identity.jobId, value });
    return ObjectRef.of(id);
  }

  private requestFetch(id: string): void {
    const e = this.entry(id);
    if (e.fetched || e.value) return;
    e.fetched = true;
    if (this.fetchQueue.length === 0) {
      setImmediate(() => {
        const ids = this.fetchQueue;
        this.fetchQueue = [];
        this.send({ type: 'fetch', client: this.identity.clientId, ids });
      });
    }
    this.fetchQueue.push(id);
  }

  isReady(id: string): boolean {
    return this.objects.get(id)?.value !== undefined;
  }

  /** Resolves when the object's value (or error) is known here, or rejects at the deadline. */
  private whenKnown(id: string, timeout: GetTimeout | undefined): Promise<void> {
    const e = this.entry(id);
    if (e.value) return Promise.resolve();
    this.requestFetch(id);
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.closedReason && !e.value) reject(new RaylaunchRuntimeError(`lost the connection to the cluster: ${this.closedReason}`));
        else resolve();
      };
      e.waiters.push(done);
      if (timeout !== undefined) {
        timer = setTimeout(() => {
          e.waiters = e.waiters.filter((w) => w !== done);
          // Name what the user called (g, Counter.incr); a ref made elsewhere has only its id.
          reject(new GetTimeoutError(`get() timed out after ${timeout.ms} ms waiting for ${e.maker ?? `object ${id}`}`, { timeoutMs: timeout.ms, objectId: id, taskName: e.maker }));
        }, Math.max(0, timeout.deadline - Date.now()));
      }
    });
  }

  private async bytesOf(id: string, value: ObjectValue): Promise<Uint8Array> {
    if (value.kind === 'inline') return value.data;
    if (value.kind === 'error') throw errorFromInfo(value.error);
    const lost = () => new ObjectLostError(`object ${id} is lost: node ${value.nodeId}, which held it, is gone`, { objectId: id, nodeId: value.nodeId });
    if (this.fetchDirect) {
      try {
        const data = await this.fetchDirect(value.address, id, value.size);
        if (data) return data;
      } catch {
        // The node cannot be reached from here: let the head try (it relays, or knows the node is dead).
      }
    }
    const reqId = this.reqSeq++;
    const data = new Promise<Uint8Array>((resolve, reject) => this.pulls.set(reqId, { resolve, reject }));
    this.send({ type: 'object.pull', reqId, client: this.identity.clientId, id, nodeId: value.nodeId, address: value.address, size: value.size });
    return data.catch((e: unknown) => { throw e instanceof RaylaunchRuntimeError && !(e instanceof GetTimeoutError) ? lost() : e; });
  }

  async getOne(id: string, timeout: GetTimeout | undefined): Promise<unknown> {
    await this.whenKnown(id, timeout);
    const value = this.objects.get(id)?.value;
    if (!value) throw new RaylaunchRuntimeError(`object ${id} has no value`);
    return decodeValue(await this.bytesOf(id, value));
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
    if (readyCount >= numReturns) return ready();
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
        this.entry(id).waiters.push(() => {
          readyCount += 1;
          if (readyCount >= numReturns || this.closedReason) settle();
        });
      }
      if (timeoutMs !== undefined) timer = setTimeout(settle, timeoutMs);
    });
  }

  async status(): Promise<ClusterStatus> {
    const reqId = this.reqSeq++;
    const p = new Promise<ClusterStatus>((resolve, reject) => this.queries.set(reqId, { resolve, reject }));
    this.send({ type: 'query', reqId, client: this.identity.clientId });
    return p;
  }

  /** Runs when the runtime closes (drivers close their object connections). */
  onClosed: (() => Promise<void>) | undefined;

  async close(): Promise<void> {
    this.outbox.flushNow();
    await this.transport.close();
    await this.onClosed?.();
  }
}

function placementOf(o: TaskCallOptions): { placement?: { pgId: string; bundleIndex: number } } {
  return o.placementGroup ? { placement: { pgId: o.placementGroup.id, bundleIndex: o.bundleIndex ?? -1 } } : {};
}

function prefixLines(prefix: string, text: string): string {
  const lines = text.split('\n');
  const last = lines.pop();
  const body = lines.map((l) => `${prefix}${l}\n`).join('');
  return last ? `${body}${prefix}${last}\n` : body;
}

export type { MessageOf };
