import type { ObjectValue } from '../protocol/messages.js';

interface Entry {
  value?: ObjectValue;
  waiters: (() => void)[];
  /** Asked for already, or pushed here without asking (a result this process is the owner of). */
  fetched: boolean;
  /** What makes it, for messages: the task (`g`) or actor method (`Counter.incr`) this process called. */
  maker?: string;
}

/**
 * What this process knows of objects: each one's value (or error) once known, whether it was asked for, and who
 * waits for it. No I/O: the runtime asks the cluster for what `claimFetch` says to fetch, and says when values come.
 */
export class ObjectCache {
  private readonly entries = new Map<string, Entry>();

  private entry(id: string): Entry {
    let e = this.entries.get(id);
    if (!e) {
      e = { waiters: [], fetched: false };
      this.entries.set(id, e);
    }
    return e;
  }

  /** The value (or error) of the object, if known here. */
  get(id: string): ObjectValue | undefined {
    return this.entries.get(id)?.value;
  }

  isReady(id: string): boolean {
    return this.get(id) !== undefined;
  }

  /** The value is known now: it is kept, and whoever waits for it is woken. */
  set(id: string, value: ObjectValue): void {
    const e = this.entry(id);
    e.value = value;
    this.wake(e);
  }

  /** A result this process will get pushed (it made the call): no fetch; `maker` names the call in messages. */
  expect(id: string, maker: string): void {
    const e = this.entry(id);
    e.fetched = true;
    e.maker = maker;
  }

  /** The objects asked for, or expected, whose value is not known yet: what a get() or wait() may wait for. */
  awaited(): string[] {
    return [...this.entries].filter(([, e]) => e.fetched && e.value === undefined).map(([id]) => id);
  }

  /** The task or actor method that makes the object, when this process called it. */
  maker(id: string): string | undefined {
    return this.entries.get(id)?.maker;
  }

  /** True once per object that is neither known nor asked for: the caller asks the cluster for it then. */
  claimFetch(id: string): boolean {
    const e = this.entry(id);
    if (e.fetched || e.value) return false;
    e.fetched = true;
    return true;
  }

  /** Calls `fn` when the object's value comes (or every waiter is woken); returns what stops the wait. */
  onKnown(id: string, fn: () => void): () => void {
    const e = this.entry(id);
    e.waiters.push(fn);
    return () => { e.waiters = e.waiters.filter((w) => w !== fn); };
  }

  /** Wakes every waiter, known value or not (the connection closed: they find no value and say so). */
  wakeAll(): void {
    for (const e of this.entries.values()) this.wake(e);
  }

  private wake(e: Entry): void {
    const waiters = e.waiters;
    e.waiters = [];
    for (const w of waiters) w();
  }
}
