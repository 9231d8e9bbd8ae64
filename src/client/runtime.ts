import { randomBytes } from 'node:crypto';
import { Batcher } from '../common/batcher.js';
import { type ResourceDict, requestOf, toFixed } from '../common/resources.js';
import type { ClusterStatus, Message, MessageOf, ObjectValue, TaskArg } from '../protocol/messages.js';
import { errorFromInfo, GetTimeoutError, RaylaunchRuntimeError } from './errors.js';
import { ObjectRef } from './object-ref.js';
import { decodeValue, encodeValue } from './serialize.js';
import type { Transport } from './transport.js';

export interface Identity {
  role: 'driver' | 'worker';
  clientId: string;
  jobId: string;
  nodeId: string;
  inlineLimit: number;
}

export interface TaskCallOptions {
  numCpus?: number; numGpus?: number; memory?: number; resources?: ResourceDict;
  maxRetries?: number; retryExceptions?: boolean;
}

interface Entry {
  value?: ObjectValue;
  waiters: (() => void)[];
  fetched: boolean;
}

interface Pending<T> { resolve: (v: T) => void; reject: (e: Error) => void }

/** A client of the cluster (a driver, or the job code inside a worker process): objects, tasks, queries. */
export class Runtime {
  private readonly objects = new Map<string, Entry>();
  private readonly pulls = new Map<number, Pending<Uint8Array>>();
  private readonly queries = new Map<number, Pending<ClusterStatus>>();
  private readonly outbox: Batcher<Message>;
  private fetchQueue: string[] = [];
  private seq = 0;
  private reqSeq = 0;
  private closedReason: string | undefined;
  /** The task this worker process is running (one at a time), for context and CPU release while blocked. */
  currentTaskId: string | undefined;
  /** Messages that are not for the job API (a worker process's task.run) go here. */
  onOther: ((m: Message) => void) | undefined;

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
        if (m.data) p.resolve(m.data);
        else p.reject(new RaylaunchRuntimeError(`object ${m.id} is no longer available`));
        return;
      }
      case 'query.reply': {
        const p = this.queries.get(m.reqId);
        this.queries.delete(m.reqId);
        p?.resolve(m.status);
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
    this.pulls.clear();
    this.queries.clear();
    for (const e of this.objects.values()) {
      const w = e.waiters;
      e.waiters = [];
      for (const f of w) f();
    }
  }

  /** Submits one task; its result is pushed back here when it finishes. */
  submitTask(fn: { key: string; name: string }, args: readonly unknown[], opts: TaskCallOptions): ObjectRef<unknown> {
    const taskId = this.newId('t');
    const deps: string[] = [];
    const encoded: TaskArg[] = args.map((a, i) => {
      if (a instanceof ObjectRef) {
        deps.push(a.id);
        return { ref: a.id };
      }
      const { bytes } = encodeValue(a, `argument ${i + 1} of ${fn.name}()`);
      if (bytes.byteLength <= this.identity.inlineLimit) return { value: bytes };
      // Large arguments travel once, as objects of their own, not inside every message that mentions the task.
      const ref = this.putEncoded(bytes);
      deps.push(ref.id);
      return { ref: ref.id };
    });
    const returnId = `${taskId}.r`;
    this.entry(returnId).fetched = true; // the owner gets the result pushed without asking
    this.send({
      type: 'submit',
      task: {
        taskId, jobId: this.identity.jobId, owner: this.identity.clientId, fn: fn.key, name: fn.name, args: encoded, deps,
        returnId, resources: toFixed(requestOf(opts, 1)), maxRetries: opts.maxRetries ?? 3, retryExceptions: opts.retryExceptions ?? false,
      },
    });
    return ObjectRef.of(returnId);
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
  private whenKnown(id: string, deadline: number | undefined): Promise<void> {
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
      if (deadline !== undefined) {
        timer = setTimeout(() => {
          e.waiters = e.waiters.filter((w) => w !== done);
          reject(new GetTimeoutError(`get() timed out waiting for ${id}`));
        }, Math.max(0, deadline - Date.now()));
      }
    });
  }

  private async bytesOf(id: string, value: ObjectValue): Promise<Uint8Array> {
    if (value.kind === 'inline') return value.data;
    if (value.kind === 'error') throw errorFromInfo(value.error);
    const reqId = this.reqSeq++;
    const data = new Promise<Uint8Array>((resolve, reject) => this.pulls.set(reqId, { resolve, reject }));
    this.send({ type: 'object.pull', reqId, client: this.identity.clientId, id, nodeId: value.nodeId });
    return data;
  }

  async getOne(id: string, deadline: number | undefined): Promise<unknown> {
    await this.whenKnown(id, deadline);
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

  async close(): Promise<void> {
    this.outbox.flushNow();
    await this.transport.close();
  }
}

function prefixLines(prefix: string, text: string): string {
  const lines = text.split('\n');
  const last = lines.pop();
  const body = lines.map((l) => `${prefix}${l}\n`).join('');
  return last ? `${body}${prefix}${last}\n` : body;
}

export type { MessageOf };
