/**
 * The part every backend shares: the in-memory mirror that reads come from, the per-turn batch of updates, the
 * versions, and the order of commits. A backend only loads rows and commits batches (backend.ts).
 */
import type { Backend, Row, WriteOp } from './backend.js';
import { deepFreeze, type GcsStore, StoreClosedError, type Table, type TableOptions, type UpdateOptions } from './store.js';

interface Entry {
  value: unknown;
  version: number;
}

interface Deferred { done: Promise<void>; resolve(): void; reject(e: Error): void }

function deferred(): Deferred {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  // Each caller that does not wait (writeBehind) still leaves this one handled: the failed hook has it.
  done.catch(() => undefined);
  return { done, resolve, reject };
}

export interface MirrorOptions {
  /** A write failed (the store takes no more): the head stops. Called once. */
  failed?(error: Error): void;
}

class MirrorTable<T> implements Table<T> {
  readonly rows = new Map<string, Entry>();
  /** The version the backend holds for each key (what the next compare-and-set expects). */
  readonly durable = new Map<string, number>();
  /** Keys whose record was last handed to the backend as a value (written, or in a batch under way). */
  readonly sent = new Set<string>();

  constructor(readonly name: string, private readonly store: MirrorStore, public writeWithinMs = 0) {}

  get(key: string): T | undefined {
    return this.rows.get(key)?.value as T | undefined;
  }

  version(key: string): number | undefined {
    return this.rows.get(key)?.version;
  }

  values(): T[] {
    const out: T[] = [];
    for (const e of this.rows.values()) out.push(e.value as T);
    return out;
  }

  keys(): string[] {
    return [...this.rows.keys()];
  }

  get size(): number {
    return this.rows.size;
  }

  written(key: string): boolean {
    return this.sent.has(key);
  }

  update(key: string, fn: (prev: T | undefined) => T | undefined, o: UpdateOptions = {}): Promise<void> {
    const refused = this.store.refusal();
    if (refused) return Promise.reject(refused);
    const prev = this.rows.get(key);
    const next = fn(prev?.value as T | undefined);
    if (next === prev?.value) return this.store.settled();
    // A key deleted and written again in one batch goes on from the version the backend holds.
    const version = Math.max(prev?.version ?? 0, this.durable.get(key) ?? 0) + 1;
    if (next === undefined) this.rows.delete(key);
    else this.rows.set(key, { value: deepFreeze(next), version });
    return this.store.pending(this, key, o.now === true);
  }
}

/** A GcsStore over any backend: reads from the mirror, writes batched per turn, committed one batch at a time. */
export class MirrorStore implements GcsStore {
  private readonly tables = new Map<string, MirrorTable<unknown>>();
  /** Keys changed since the last batch left, per table. */
  private dirty = new Map<MirrorTable<unknown>, Set<string>>();
  private batch: Deferred | undefined;
  private scheduled = false;
  /** Keys of tables with a write window, changed since they last joined a batch; and what their updates wait for. */
  private held = new Map<MirrorTable<unknown>, Set<string>>();
  private heldBatch: Deferred | undefined;
  private heldTimer: NodeJS.Timeout | undefined;
  /** The chain of batches: each commits after the one before, so versions arrive in order. */
  private last: Promise<void> = Promise.resolve();
  private error: Error | undefined;
  private closed = false;
  commits = 0;

  constructor(private readonly backend: Backend, private readonly o: MirrorOptions = {}) {}

  /** Fills the mirror from the backend's rows (once, when the store is opened). */
  load(rows: Iterable<Row>): void {
    for (const r of rows) {
      const t = this.tableOf(r.table);
      t.rows.set(r.key, { value: deepFreeze(JSON.parse(r.value)), version: r.version });
      t.durable.set(r.key, r.version);
      t.sent.add(r.key);
    }
  }

  table<T>(name: string, o: TableOptions = {}): Table<T> {
    return this.tableOf(name, o.writeWithinMs) as unknown as Table<T>;
  }

  private tableOf(name: string, writeWithinMs?: number): MirrorTable<unknown> {
    let t = this.tables.get(name);
    if (!t) {
      t = new MirrorTable<unknown>(name, this, writeWithinMs);
      this.tables.set(name, t);
    } else if (writeWithinMs !== undefined && t.writeWithinMs === 0) {
      // Made by load() before its owner named its options: a restarted head's objects keep their window.
      t.writeWithinMs = writeWithinMs;
    }
    return t;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  /** Why writes are refused now, if they are. */
  refusal(): Error | undefined {
    if (this.error) return new StoreClosedError(`an earlier write failed: ${this.error.message}`);
    if (this.closed) return new StoreClosedError('it is closed');
    return undefined;
  }

  /** What an update that changed nothing waits for: the writes before it. */
  settled(): Promise<void> {
    return this.heldBatch?.done ?? this.batch?.done ?? this.last;
  }

  /**
   * Marks a key changed; the batch of this turn leaves on the next setImmediate. A table with a write window
   * holds its keys until the window of the first of them ends (or a batch leaves before).
   */
  pending(t: MirrorTable<unknown>, key: string, now = false): Promise<void> {
    if (t.writeWithinMs > 0 && !now) return this.hold(t, key);
    let keys = this.dirty.get(t);
    if (!keys) this.dirty.set(t, (keys = new Set()));
    keys.add(key);
    this.batch ??= deferred();
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.send());
    }
    return this.batch.done;
  }

  private hold(t: MirrorTable<unknown>, key: string): Promise<void> {
    let keys = this.held.get(t);
    if (!keys) this.held.set(t, (keys = new Set()));
    keys.add(key);
    this.heldBatch ??= deferred();
    // Not kept alive by it: a head that ends closes the store, which writes what is held.
    this.heldTimer ??= setTimeout(() => this.release(), t.writeWithinMs).unref();
    return this.heldBatch.done;
  }

  /** The held keys join the batch of this turn. */
  private release(): void {
    clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    const waiting = this.heldBatch;
    if (!waiting) return;
    this.heldBatch = undefined;
    const held = this.held;
    this.held = new Map();
    for (const [t, keys] of held) {
      let dirty = this.dirty.get(t);
      if (!dirty) this.dirty.set(t, (dirty = new Set()));
      for (const k of keys) dirty.add(k);
    }
    const batch = (this.batch ??= deferred());
    batch.done.then(waiting.resolve, waiting.reject);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.send());
    }
  }

  /** The batch of this turn goes after the one before it, with every key held so far. */
  private send(): void {
    if (this.heldBatch) this.release();
    this.scheduled = false;
    const batch = this.batch;
    if (!batch) return;
    this.batch = undefined;
    const dirty = this.dirty;
    this.dirty = new Map();
    this.last = this.last.then(() => this.commit(dirty)).then(batch.resolve, (e: Error) => {
      batch.reject(e);
      throw e; // every later batch fails too: the store refuses writes after a failure
    });
    this.last.catch(() => undefined);
  }

  private async commit(dirty: Map<MirrorTable<unknown>, Set<string>>): Promise<void> {
    if (this.error) throw this.error;
    // Values are read now, not when updated: a key changed again since its batch was formed goes with its
    // latest value (the batch after it then writes nothing new for it, at the same version).
    const ops: WriteOp[] = [];
    for (const [t, keys] of dirty) {
      for (const key of keys) {
        const e = t.rows.get(key);
        const expected = t.durable.get(key);
        if (e?.version === expected) continue; // already written by an earlier batch
        if (!e && expected === undefined) continue; // created and deleted before it was ever written
        ops.push({ table: t.name, key, expected, ...(e ? { version: e.version, value: JSON.stringify(e.value) } : {}) });
        if (e) t.sent.add(key);
        else t.sent.delete(key);
      }
    }
    if (ops.length === 0) return;
    try {
      await this.backend.commit(ops);
      this.commits++;
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      if (!this.error) {
        this.error = e;
        this.o.failed?.(e);
      }
      throw e;
    }
    for (const op of ops) {
      const t = this.tableOf(op.table);
      if (op.version === undefined) t.durable.delete(op.key);
      else t.durable.set(op.key, op.version);
    }
  }

  async flush(): Promise<void> {
    if (this.heldBatch) this.release();
    if (this.batch) {
      // Sent now rather than on the scheduled setImmediate (which then finds nothing to send).
      this.send();
    }
    await this.last;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.backend.close();
    }
  }
}
