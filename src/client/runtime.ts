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
}

/** Which task or actor call is running: per async context, since an actor may run several calls at once. */
export const callContext = new AsyncLocalStorage<{ taskId: string; actorId?: string; label?: string }>();

/** How long get() waits: until `deadline` (ms since the epoch), which is `ms` after it was called. */
export interface GetTimeout { deadline: number; ms: number }

/** What each request to the head resolves with, by the type of its reply. */
interface Replies extends Record<string, unknown> {
  'object.data': Uint8Array;
  'query.reply': ClusterStatus;
  'actor.found': ActorRef | null;
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

  constructor(readonly transport: Transport, readonly identity: Identity, private readonly hooks: RuntimeHooks) {
    this.caller = { jobId: identity.jobId, owner: identity.clientId, namespace: identity.namespace };
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

  private receive(m: Message): void {
    switch (m.type) {
      case 'object':
        this.objects.set(m.id, m.value);
        return;
      case 'object.data':
        this.requests.settle('object.data', m.reqId, () => pulled(m));
        return;
      case 'query.reply':
        this.requests.settle('query.reply', m.reqId, () => m.status);
        return;
      case 'actor.found':
        this.requests.settle('actor.found', m.reqId, () => m.actor);
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

  private fail(reason: string): void {
    if (this.closedReason) return;
    this.closedReason = reason;
    this.requests.rejectAll(this.lostConnection());
    this.groups.wakeAll();
    this.objects.wakeAll();
  }

  private lostConnection(): RaylaunchRuntimeError {
    return new RaylaunchRuntimeError(`lost the connection to the cluster: ${this.closedReason}`);
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
    this.send({ type: 'submit', task });
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
    this.send({ type: 'actor.call', call });
    return this.expectResult(call.returnId, `${ref.cls}.${method}`);
  }

  killActor(actorId: string, noRestart: boolean): void {
    this.send({ type: 'actor.kill', actorId, noRestart, jobId: this.identity.jobId });
  }

  lookupActor(name: string, namespace: string): Promise<ActorRef | null> {
    return this.requests.request('actor.found', (reqId) => this.send({ type: 'actor.lookup', reqId, client: this.identity.clientId, name, namespace }));
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
    this.objects.set(id, value);
    this.send({ type: 'put', id, owner: this.identity.clientId, jobId: this.identity.jobId, value });
    return ObjectRef.of(id);
  }

  /** Asks for objects not known here, all those asked for in one turn of the event loop in one message. */
  private requestFetch(id: string): void {
    if (!this.objects.claimFetch(id)) return;
    if (this.fetchQueue.length === 0) {
      setImmediate(() => {
        const ids = this.fetchQueue;
        this.fetchQueue = [];
        // Closed meanwhile: the gets that asked have been rejected, and a throw here would be uncaught.
        if (this.closedReason) return;
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
    const data = this.requests.request('object.data', (reqId) => this.send({
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
    return this.requests.request('query.reply', (reqId) => this.send({ type: 'query', reqId, client: this.identity.clientId }));
  }

  async close(): Promise<void> {
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
