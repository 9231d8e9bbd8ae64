import { errorInfo } from '../protocol/error-info.js';
import type { ObjectValue } from '../protocol/messages.js';
import { loadValue, type StoredValue, storeValue } from './gcs/json-bytes.js';
import { type GcsStore, type Table, writeBehind } from './gcs/store.js';

/**
 * What the GCS keeps of an object: an inline value or an error, the only copy of which is the head's, with its
 * job; written behind, grouped over OBJECT_WRITE_WINDOW_MS (a result set just before the head died may be lost: the agent that produced it sends it
 * again after its re-report only if it had not sent it before). Deleted with its job. A stored object's location
 * is not kept: the agent holding it re-reports it when it reconnects.
 */
interface DurableObject { jobId: string; value: StoredValue }

/**
 * How long a value may wait to be written with others. Written per turn, every task or actor call result was a
 * commit of its own in the sync round-trip figures, each a disk sync with sqlite (~1.5 ms on the head's event
 * loop, more than the round trip itself); grouped over this window, results cost at most ~10 commits a second. A
 * head killed meanwhile loses the values of the last window, as it lost those of the last turn before: a waiter
 * gets ObjectLostError for one its agent does not send again, never a hang. The head's queue (queued-work.ts) is
 * written in the same window, so what a head killed inside it loses is one window of both.
 */
export const OBJECT_WRITE_WINDOW_MS = 100;

interface Entry {
  value: ObjectValue | undefined;
  jobId: string;
  subscribers: Set<string>;
  callbacks: (() => void)[];
}

/**
 * Where every object is: its inline value, the node that stores it, or its error; and who is waiting for it.
 * Values and errors are pushed to subscribed clients as soon as they are known.
 */
export class ObjectDirectory {
  private readonly entries = new Map<string, Entry>();
  private readonly table: Table<DurableObject> | undefined;

  constructor(private readonly push: (client: string, id: string, value: ObjectValue) => void, store?: GcsStore) {
    this.table = store?.table<DurableObject>('objects', { writeWithinMs: OBJECT_WRITE_WINDOW_MS });
    for (const key of this.table?.keys() ?? []) {
      const d = this.table?.get(key);
      if (d) this.entries.set(key, { value: loadValue(d.value), jobId: d.jobId, subscribers: new Set(), callbacks: [] });
    }
  }

  private entry(id: string, jobId = ''): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { value: undefined, jobId, subscribers: new Set(), callbacks: [] };
      this.entries.set(id, e);
    }
    if (!e.jobId) e.jobId = jobId;
    return e;
  }

  /** Records an object's value (first writer wins: a retried task cannot change a value already seen). */
  set(id: string, value: ObjectValue, jobId: string): void {
    const e = this.entry(id, jobId);
    if (e.value) return;
    e.value = value;
    const kept = this.table && e.jobId ? storeValue(value) : undefined;
    if (kept) writeBehind(this.table?.update(id, () => ({ jobId: e.jobId, value: kept })) ?? Promise.resolve());
    for (const client of e.subscribers) this.push(client, id, value);
    e.subscribers.clear();
    const callbacks = e.callbacks;
    e.callbacks = [];
    for (const cb of callbacks) cb();
  }

  /** The job an object (or the result of a task or call) belongs to. */
  jobOf(id: string): string | undefined {
    return this.entries.get(id)?.jobId || undefined;
  }

  /** Expects an object of this job (a task's return), so it is freed with the job even if never set. */
  expect(id: string, jobId: string): void {
    this.entry(id, jobId);
  }

  /** The values of those of `ids` that are set: what a task or actor gets with its start message. */
  valuesOf(ids: readonly string[]): Record<string, ObjectValue> {
    const out: Record<string, ObjectValue> = {};
    for (const id of ids) {
      const v = this.get(id);
      if (v) out[id] = v;
    }
    return out;
  }

  get(id: string): ObjectValue | undefined {
    return this.entries.get(id)?.value;
  }

  subscribe(client: string, id: string): void {
    const e = this.entry(id);
    if (e.value) this.push(client, id, e.value);
    else e.subscribers.add(client);
  }

  whenSet(id: string, cb: () => void): void {
    const e = this.entry(id);
    if (e.value) cb();
    else e.callbacks.push(cb);
  }

  /** Forgets a client's subscriptions (it disconnected). */
  unsubscribeAll(client: string): void {
    for (const e of this.entries.values()) e.subscribers.delete(client);
  }

  /**
   * A node died: objects stored only there are lost. Their value becomes an ObjectLostError for whoever asks
   * next (raylaunch does not rebuild lost objects by re-running the tasks that made them).
   */
  markLost(nodeId: string): void {
    for (const [id, e] of this.entries) {
      if (e.value?.kind !== 'stored' || e.value.nodeId !== nodeId) continue;
      e.value = { kind: 'error', error: errorInfo({ kind: 'lost', name: 'ObjectLostError', message: `object ${id} was stored only on node ${nodeId}, which died`, nodeId, objectId: id }) };
    }
  }

  /** Nodes that store objects of running jobs (they are not idle: someone may still need those objects). */
  holders(): Set<string> {
    const out = new Set<string>();
    for (const e of this.entries.values()) if (e.value?.kind === 'stored') out.add(e.value.nodeId);
    return out;
  }

  /** How many objects each node stores (the dashboard's node page). */
  storedByNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const e of this.entries.values()) if (e.value?.kind === 'stored') out.set(e.value.nodeId, (out.get(e.value.nodeId) ?? 0) + 1);
    return out;
  }

  /** Frees a finished job's objects. */
  dropJob(jobId: string): void {
    for (const [id, e] of this.entries) {
      if (e.jobId !== jobId) continue;
      this.entries.delete(id);
      if (this.table?.get(id) !== undefined) writeBehind(this.table.update(id, () => undefined));
    }
  }

  /**
   * Objects asked for that nobody said would come (no task or call expects them, no put set them): after a head
   * restart, once every node it knew has reported what it holds or is dead, these were lost with the last head,
   * and whoever waits for them gets an ObjectLostError now rather than waiting forever.
   */
  failUnknown(why: string): string[] {
    const failed: string[] = [];
    for (const [id, e] of this.entries) {
      if (e.value || e.jobId || (e.subscribers.size === 0 && e.callbacks.length === 0)) continue;
      failed.push(id);
      this.set(id, { kind: 'error', error: errorInfo({ kind: 'lost', name: 'ObjectLostError', message: `object ${id} ${why}`, objectId: id }) }, '');
    }
    return failed;
  }

  get count(): number {
    return this.entries.size;
  }
}
